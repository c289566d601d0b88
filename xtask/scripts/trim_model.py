"""Trims botocore's service models to what request validation needs.

Run after `pip install botocore`: python3 xtask/scripts/trim_model.py
Writes src/protocol/model/{dynamodb,streams}.json: for every operation its input shape, and for
every shape its type, members, required members and constraints (min, max, enum, pattern).
Documentation strings are dropped; the constraints are facts about the service.
"""
import gzip, json, os, botocore

root = os.path.dirname(botocore.__file__)
out_dir = os.path.join(os.path.dirname(__file__), "..", "..", "src", "protocol", "model")
os.makedirs(out_dir, exist_ok=True)
for service, name in [("dynamodb", "dynamodb"), ("dynamodbstreams", "streams")]:
    path = os.path.join(root, "data", service, "2012-08-10", "service-2.json.gz")
    model = json.load(gzip.open(path))
    ops = {op: d["input"]["shape"] for op, d in model["operations"].items() if "input" in d}
    ops_no_input = [op for op, d in model["operations"].items() if "input" not in d]
    shapes = {}
    for sname, s in model["shapes"].items():
        t = {"type": s["type"]}
        for k in ("required", "min", "max", "enum", "pattern"):
            if k in s:
                t[k] = s[k]
        if "members" in s:
            t["members"] = {m: v["shape"] for m, v in s["members"].items()}
        if "member" in s:
            t["member"] = s["member"]["shape"]
        if "key" in s:
            t["key"] = s["key"]["shape"]
            t["value"] = s["value"]["shape"]
        shapes[sname] = t
    doc = {"version": model["metadata"]["apiVersion"], "targetPrefix": model["metadata"]["targetPrefix"],
           "operations": ops, "operationsWithoutInput": ops_no_input, "shapes": shapes}
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"), sort_keys=False)
        f.write("\n")
    print(name, len(ops), "operations", len(shapes), "shapes")
