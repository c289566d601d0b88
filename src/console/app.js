// awsim console. Plain JavaScript, no build step, no library. It is a client like any other: it
// calls the DynamoDB API (POST /, AWS JSON 1.0) and awsim's admin endpoints (/_awsim/...) with
// fetch, for the account and region chosen in the header.
//
// Safety rule: every piece of data reaches the page through text nodes or attribute values set
// with setAttribute (see `h`); nothing is ever parsed as HTML (no innerHTML, no insertAdjacentHTML),
// so an item value cannot inject markup or script. The server's Content-Security-Policy forbids
// inline script besides.
'use strict';

(() => {
  const main = document.getElementById('main');
  const status = document.getElementById('status');

  // ---- DOM ------------------------------------------------------------------------------------

  /** An element with attributes (`on*` become listeners) and children (strings become text). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'selected') el[k] = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function errorBox(err) {
    const box = h('div', { class: 'error', role: 'alert', 'data-test': 'error' });
    if (err instanceof ApiError) {
      box.append(h('strong', {}, err.type), err.message);
    } else {
      box.append(String(err && err.message ? err.message : err));
    }
    return box;
  }

  function okBox(text) {
    return h('div', { class: 'ok', role: 'status', 'data-test': 'ok' }, text);
  }

  /** Replaces a container's content. */
  function put(container, ...children) {
    container.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  }

  function setStatus(text) {
    status.textContent = text || '';
  }

  // ---- account and region ----------------------------------------------------------------------

  const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1',
    'eu-north-1', 'ap-northeast-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-south-1', 'sa-east-1', 'ca-central-1'];
  const scope = {
    account: localStorage.getItem('awsim.account') || '000000000000',
    region: localStorage.getItem('awsim.region') || 'us-east-1',
  };

  function setScope(account, region) {
    scope.account = /^\d{12}$/.test(account) ? account : '000000000000';
    scope.region = region || 'us-east-1';
    localStorage.setItem('awsim.account', scope.account);
    localStorage.setItem('awsim.region', scope.region);
    showScope();
  }

  function showScope() {
    document.getElementById('scope-account').value = scope.account;
    document.getElementById('scope-region').value = scope.region;
  }

  // ---- the API ---------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(type, message, status, body) {
      super(message);
      this.type = type;
      this.status = status;
      this.body = body;
    }
  }

  /** The Authorization header awsim reads the account (a 12-digit access key) and region from.
   *  awsim does not check signatures unless started with strict authentication. */
  function authorization(service) {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    return `AWS4-HMAC-SHA256 Credential=${scope.account}/${day}/${scope.region}/${service}/aws4_request, ` +
      `SignedHeaders=content-type;host;x-amz-target, Signature=${'0'.repeat(64)}`;
  }

  /** One API call. `target` is `DynamoDB_20120810` or `DynamoDBStreams_20120810`. */
  async function call(op, body, target = 'DynamoDB_20120810') {
    setStatus(`${op}…`);
    let res;
    try {
      res = await fetch('/', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.0',
          'X-Amz-Target': `${target}.${op}`,
          'Authorization': authorization('dynamodb'),
        },
        body: JSON.stringify(body || {}),
      });
    } catch (e) {
      setStatus('');
      throw new ApiError('NetworkError', `awsim did not answer (${e.message})`, 0, null);
    }
    const text = await res.text();
    setStatus('');
    let data;
    try {
      data = text ? JSON.parse(text) : {};
    } catch (e) {
      data = { message: text };
    }
    if (!res.ok) {
      const type = String(data.__type || '').split('#').pop() || `HTTP ${res.status}`;
      throw new ApiError(type, data.message || data.Message || '', res.status, data);
    }
    return data;
  }

  const streamsCall = (op, body) => call(op, body, 'DynamoDBStreams_20120810');

  async function admin(path, method = 'GET', body) {
    const res = await fetch(`/_awsim/${path}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(`HTTP ${res.status}`, data.error || res.statusText, res.status, data);
    return data;
  }

  // ---- values ----------------------------------------------------------------------------------

  /** A short, readable rendering of an attribute value (plain text, never markup). */
  function show(v, nested) {
    if (!v || typeof v !== 'object') return '';
    const [type, x] = Object.entries(v)[0] || [];
    switch (type) {
      case 'S': return nested ? JSON.stringify(x) : x;
      case 'N': return x;
      case 'B': return `<binary ${Math.floor((x.length * 3) / 4)} bytes>`;
      case 'BOOL': return String(x);
      case 'NULL': return 'null';
      case 'SS': return `SS[${x.map((s) => JSON.stringify(s)).join(', ')}]`;
      case 'NS': return `NS[${x.join(', ')}]`;
      case 'BS': return `BS[${x.length} values]`;
      case 'L': return `[${x.map((e) => show(e, true)).join(', ')}]`;
      case 'M': return `{${Object.entries(x).map(([k, e]) => `${k}: ${show(e, true)}`).join(', ')}}`;
      default: return JSON.stringify(v);
    }
  }

  /** An attribute value of the key type `t` (S, N or B) from what was typed. */
  function typed(t, text) {
    return { [t]: text };
  }

  function keyOf(item, keySchema) {
    const key = {};
    for (const k of keySchema) key[k.AttributeName] = item[k.AttributeName];
    return key;
  }

  function attrType(desc, name) {
    const d = (desc.AttributeDefinitions || []).find((a) => a.AttributeName === name);
    return d ? d.AttributeType : 'S';
  }

  function hashKey(schema) {
    return (schema.find((k) => k.KeyType === 'HASH') || {}).AttributeName;
  }

  function rangeKey(schema) {
    return (schema.find((k) => k.KeyType === 'RANGE') || {}).AttributeName;
  }

  function keyText(desc, schema) {
    return schema.map((k) => `${k.AttributeName} (${attrType(desc, k.AttributeName)}${k.KeyType === 'RANGE' ? ', sort' : ''})`).join(', ');
  }

  function bytes(n) {
    if (n === undefined || n === null) return '';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  function when(epoch) {
    if (epoch === undefined || epoch === null) return '';
    return new Date(epoch * 1000).toISOString().replace('T', ' ').replace('Z', ' UTC');
  }

  const enc = encodeURIComponent;

  /** The items of a page as a table: key attributes first, then the others by name. */
  function itemsTable(items, keyNames, table, keySchema) {
    const names = [];
    const seen = new Set();
    for (const k of keyNames) if (k && !seen.has(k)) { seen.add(k); names.push(k); }
    const rest = new Set();
    for (const it of items) for (const k of Object.keys(it)) if (!seen.has(k)) rest.add(k);
    const MAX = 24;
    const others = [...rest].sort();
    names.push(...others.slice(0, MAX));
    const hidden = others.length - MAX;
    const head = h('tr', {}, h('th', { scope: 'col' }, ''), names.map((n) => h('th', { scope: 'col' }, n)));
    const rows = items.map((it) => {
      const key = keyOf(it, keySchema);
      const link = h('a', { href: `#/t/${enc(table)}/item?key=${enc(JSON.stringify(key))}`, 'data-test': 'edit-item' }, 'Edit');
      return h('tr', {}, h('td', {}, link), names.map((n) => {
        const text = n in it ? show(it[n]) : '';
        return h('td', { class: 'value', title: text.length > 40 ? text : null }, text);
      }));
    });
    return h('div', {},
      h('div', { class: 'scroll' }, h('table', { 'data-test': 'items' }, h('thead', {}, head), h('tbody', {}, rows))),
      hidden > 0 ? h('p', { class: 'muted' }, `${hidden} more attributes not shown; open an item to see all.`) : null);
  }

  // ---- routing ---------------------------------------------------------------------------------

  // Each render bumps this; long-running work (the stream tail) stops when it changes.
  let generation = 0;

  function route() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    const params = new URLSearchParams(query || '');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    generation += 1;
    const gen = generation;
    for (const a of document.querySelectorAll('.top nav a')) {
      const target = a.getAttribute('href').replace(/^#/, '');
      const current = (target === '/' && (parts.length === 0 || parts[0] === 't')) || (target !== '/' && path.startsWith(target));
      if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    let page;
    if (parts.length === 0) page = tablesPage();
    else if (parts[0] === 'create') page = createPage();
    else if (parts[0] === 'clock') page = clockPage();
    else if (parts[0] === 'snapshots') page = snapshotsPage();
    else if (parts[0] === 't' && parts[1]) {
      const table = parts[1];
      const view = parts[2] || 'overview';
      if (view === 'overview') page = tablePage(table);
      else if (view === 'items') page = itemsPage(table, gen);
      else if (view === 'query') page = queryPage(table);
      else if (view === 'item') page = itemPage(table, params.get('key'));
      else if (view === 'new') page = itemPage(table, null);
      else if (view === 'stream') page = streamPage(table, gen);
    }
    if (!page) page = Promise.resolve([h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the tables'))]);
    put(main, h('p', { class: 'muted' }, 'Loading…'));
    Promise.resolve(page).then((nodes) => {
      if (gen !== generation) return;
      put(main, nodes);
      const h1 = main.querySelector('h1');
      if (h1) {
        document.title = `${h1.textContent} · awsim`;
        h1.setAttribute('tabindex', '-1');
        h1.focus({ preventScroll: true });
      }
    }, (err) => {
      if (gen !== generation) return;
      put(main, h('h1', { tabindex: '-1' }, 'Something went wrong'), errorBox(err));
    });
  }

  function go(hash) {
    if (location.hash === hash) route(); else location.hash = hash;
  }

  function tableNav(table, current) {
    const link = (view, label) => h('a', {
      href: `#/t/${enc(table)}${view === 'overview' ? '' : `/${view}`}`,
      'aria-current': view === current ? 'page' : null,
      id: `tab-${view}`,
    }, label);
    return h('nav', { class: 'sub', 'aria-label': 'Table' },
      link('overview', 'Overview'), link('items', 'Items'), link('query', 'Query / Scan'),
      link('new', 'New item'), link('stream', 'Stream'));
  }

  // ---- pages: tables ---------------------------------------------------------------------------

  async function listTableNames() {
    const names = [];
    let start;
    do {
      const page = await call('ListTables', start ? { ExclusiveStartTableName: start } : {});
      names.push(...(page.TableNames || []));
      start = page.LastEvaluatedTableName;
    } while (start);
    return names;
  }

  async function tablesPage() {
    const [names, everywhere] = await Promise.all([listTableNames(), admin('tables').catch(() => null)]);
    const descs = await Promise.all(names.map((n) => call('DescribeTable', { TableName: n }).then((d) => d.Table, (e) => ({ TableName: n, error: e }))));
    const rows = descs.map((t) => h('tr', {},
      h('td', {}, h('a', { href: `#/t/${enc(t.TableName)}`, 'data-test': 'table-link' }, t.TableName)),
      h('td', {}, t.TableStatus || (t.error ? t.error.type : '')),
      h('td', { class: 'num' }, t.ItemCount ?? ''),
      h('td', { class: 'num' }, bytes(t.TableSizeBytes)),
      h('td', {}, t.KeySchema ? keyText(t, t.KeySchema) : ''),
      h('td', {}, t.BillingModeSummary ? t.BillingModeSummary.BillingMode : (t.ProvisionedThroughput ? 'PROVISIONED' : '')),
      h('td', { class: 'num' }, (t.GlobalSecondaryIndexes || []).length + (t.LocalSecondaryIndexes || []).length),
      h('td', {}, t.StreamSpecification && t.StreamSpecification.StreamEnabled ? t.StreamSpecification.StreamViewType : '—')));
    const content = [
      h('h1', {}, `Tables in ${scope.account} / ${scope.region}`),
      names.length === 0
        ? h('p', { class: 'muted' }, 'No tables here yet. ', h('a', { href: '#/create' }, 'Create one'), '.')
        : h('div', { class: 'scroll' }, h('table', { 'data-test': 'tables' },
          h('thead', {}, h('tr', {}, ['Name', 'Status', 'Items', 'Size', 'Key', 'Billing', 'Indexes', 'Stream'].map((c, i) => h('th', { scope: 'col', class: i === 2 || i === 3 || i === 6 ? 'num' : null }, c)))),
          h('tbody', {}, rows))),
    ];
    if (everywhere && everywhere.tables) {
      const groups = new Map();
      for (const t of everywhere.tables) {
        const k = `${t.account}/${t.region}`;
        const g = groups.get(k) || { account: t.account, region: t.region, tables: 0, items: 0 };
        g.tables += 1;
        g.items += t.items;
        groups.set(k, g);
      }
      const other = [...groups.values()].filter((g) => g.account !== scope.account || g.region !== scope.region);
      if (other.length) {
        content.push(h('h2', {}, 'Other accounts and regions with tables'),
          h('ul', {}, other.map((g) => h('li', {},
            h('button', { class: 'plain', type: 'button', onclick: () => { setScope(g.account, g.region); route(); } }, `${g.account} / ${g.region}`),
            ` ${g.tables} table${g.tables === 1 ? '' : 's'}, ${g.items} item${g.items === 1 ? '' : 's'}`))));
      }
    }
    return content;
  }

  // ---- pages: one table ------------------------------------------------------------------------

  async function describe(table) {
    return (await call('DescribeTable', { TableName: table })).Table;
  }

  function facts(pairs) {
    return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  function throughput(t) {
    const p = t.ProvisionedThroughput;
    if (!p) return '';
    return `${p.ReadCapacityUnits} read / ${p.WriteCapacityUnits} write units`;
  }

  async function tablePage(table) {
    const t = await describe(table);
    const [ttl, tags] = await Promise.all([
      call('DescribeTimeToLive', { TableName: table }).then((r) => r.TimeToLiveDescription, () => null),
      call('ListTagsOfResource', { ResourceArn: t.TableArn }).then((r) => r.Tags || [], () => []),
    ]);
    const billing = t.BillingModeSummary ? t.BillingModeSummary.BillingMode : 'PROVISIONED';
    const indexRows = [
      ...(t.GlobalSecondaryIndexes || []).map((i) => ['GSI', i]),
      ...(t.LocalSecondaryIndexes || []).map((i) => ['LSI', i]),
    ].map(([kind, i]) => h('tr', {},
      h('td', {}, i.IndexName), h('td', {}, kind), h('td', {}, keyText(t, i.KeySchema)),
      h('td', {}, i.Projection.ProjectionType + (i.Projection.NonKeyAttributes ? ` (${i.Projection.NonKeyAttributes.join(', ')})` : '')),
      h('td', {}, i.IndexStatus || ''), h('td', { class: 'num' }, i.ItemCount ?? ''), h('td', { class: 'num' }, bytes(i.IndexSizeBytes)),
      h('td', {}, kind === 'GSI' && billing === 'PROVISIONED' ? throughput(i) : '')));
    const stream = t.StreamSpecification && t.StreamSpecification.StreamEnabled;
    const confirm = h('input', { id: 'delete-confirm', 'aria-describedby': 'delete-help', autocomplete: 'off' });
    const deleteOut = h('div', {});
    const deleteForm = h('form', {
      class: 'stack',
      onsubmit: async (e) => {
        e.preventDefault();
        if (confirm.value !== table) {
          put(deleteOut, errorBox(new Error('Type the table name exactly to delete it.')));
          return;
        }
        try {
          await call('DeleteTable', { TableName: table });
          go('#/');
        } catch (err) {
          put(deleteOut, errorBox(err));
        }
      },
    },
    h('p', { id: 'delete-help', class: 'muted' }, 'Deletes the table with all its items. Type its name to confirm.'),
    h('div', { class: 'row' }, h('label', { class: 'field' }, 'Table name', confirm), h('button', { class: 'danger', type: 'submit', id: 'delete-table' }, 'Delete table')),
    deleteOut);
    return [
      h('h1', {}, table),
      tableNav(table, 'overview'),
      h('div', { class: 'grid2' },
        h('section', {}, h('h2', {}, 'Summary'), facts([
          ['Status', t.TableStatus],
          ['Items', String(t.ItemCount)],
          ['Size', bytes(t.TableSizeBytes)],
          ['Created', when(t.CreationDateTime)],
          ['Billing', billing],
          ['Throughput', billing === 'PROVISIONED' ? throughput(t) : 'on demand'],
          ['Table class', t.TableClassSummary ? t.TableClassSummary.TableClass : 'STANDARD'],
          ['Deletion protection', t.DeletionProtectionEnabled ? 'on' : 'off'],
          ['ARN', t.TableArn],
        ])),
        h('section', {}, h('h2', {}, 'Keys'), facts([
          ['Partition key', `${hashKey(t.KeySchema)} (${attrType(t, hashKey(t.KeySchema))})`],
          ['Sort key', rangeKey(t.KeySchema) ? `${rangeKey(t.KeySchema)} (${attrType(t, rangeKey(t.KeySchema))})` : '—'],
          ['Attributes', (t.AttributeDefinitions || []).map((a) => `${a.AttributeName}: ${a.AttributeType}`).join(', ')],
        ]),
        h('h2', {}, 'Stream'), facts([
          ['Stream', stream ? t.StreamSpecification.StreamViewType : 'disabled'],
          ['Label', stream ? t.LatestStreamLabel : ''],
          ['ARN', stream ? t.LatestStreamArn : ''],
        ]),
        h('h2', {}, 'Time to live'), facts([
          ['Status', ttl ? ttl.TimeToLiveStatus : 'unknown'],
          ['Attribute', ttl && ttl.AttributeName ? ttl.AttributeName : ''],
        ]))),
      h('h2', {}, 'Secondary indexes'),
      indexRows.length
        ? h('div', { class: 'scroll' }, h('table', { 'data-test': 'indexes' },
          h('thead', {}, h('tr', {}, ['Name', 'Kind', 'Key', 'Projection', 'Status', 'Items', 'Size', 'Throughput'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, indexRows)))
        : h('p', { class: 'muted' }, 'None.'),
      h('h2', {}, 'Tags'),
      tags.length
        ? facts(tags.map((tag) => [tag.Key, tag.Value]))
        : h('p', { class: 'muted' }, 'None.'),
      h('h2', {}, 'Delete'),
      deleteForm,
    ];
  }

  // ---- pages: items (a Scan, page by page) ------------------------------------------------------

  async function itemsPage(table, gen) {
    const t = await describe(table);
    const out = h('div', {});
    const keyNames = t.KeySchema.map((k) => k.AttributeName);
    const sizes = [25, 50, 100, 250];
    let limit = Number(sessionStorage.getItem('awsim.pageSize')) || 50;
    const pageSize = h('select', {
      id: 'page-size',
      onchange: () => { limit = Number(pageSize.value); sessionStorage.setItem('awsim.pageSize', String(limit)); starts.length = 0; load(undefined); },
    }, sizes.map((s) => h('option', { value: String(s), selected: s === limit }, String(s))));
    // The ExclusiveStartKey of every page shown so far (undefined for the first), for Previous.
    const starts = [];
    async function load(start) {
      const body = { TableName: table, Limit: limit };
      if (start) body.ExclusiveStartKey = start;
      try {
        const page = await call('Scan', body);
        if (gen !== generation) return;
        starts.push(start);
        const n = starts.length;
        const prev = h('button', { type: 'button', class: 'plain', id: 'prev-page', disabled: n <= 1, onclick: () => { starts.pop(); load(starts.pop()); } }, '← Previous');
        const next = h('button', { type: 'button', id: 'next-page', disabled: !page.LastEvaluatedKey, onclick: () => load(page.LastEvaluatedKey) }, 'Next →');
        put(out,
          h('div', { class: 'pager' }, prev, next,
            h('span', { 'data-test': 'page-info' }, `Page ${n} · ${page.Count} item${page.Count === 1 ? '' : 's'}${page.LastEvaluatedKey ? ' · more' : ' · end'}`),
            h('label', { class: 'check' }, 'Page size', pageSize)),
          page.Items.length ? itemsTable(page.Items, keyNames, table, t.KeySchema) : h('p', { class: 'muted' }, 'No items on this page.'));
      } catch (err) {
        put(out, errorBox(err));
      }
    }
    await load(undefined);
    return [h('h1', {}, `${table}: items`), tableNav(table, 'items'), out];
  }

  // ---- pages: query and scan builder -----------------------------------------------------------

  async function queryPage(table) {
    const t = await describe(table);
    const indexes = [
      ...(t.GlobalSecondaryIndexes || []).map((i) => ({ ...i, kind: 'GSI' })),
      ...(t.LocalSecondaryIndexes || []).map((i) => ({ ...i, kind: 'LSI' })),
    ];
    const f = {
      operation: h('select', { id: 'q-operation' }, h('option', { value: 'Query' }, 'Query'), h('option', { value: 'Scan' }, 'Scan')),
      index: h('select', { id: 'q-index' }, h('option', { value: '' }, `Table (${keyText(t, t.KeySchema)})`),
        indexes.map((i) => h('option', { value: i.IndexName }, `${i.kind} ${i.IndexName} (${keyText(t, i.KeySchema)})`))),
      pk: h('input', { id: 'q-pk', autocomplete: 'off', spellcheck: 'false' }),
      skOp: h('select', { id: 'q-sk-op' }, ['', '=', '<', '<=', '>', '>=', 'begins_with', 'between'].map((o) => h('option', { value: o }, o || 'no condition'))),
      sk: h('input', { id: 'q-sk', autocomplete: 'off', spellcheck: 'false' }),
      sk2: h('input', { id: 'q-sk2', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'and' }),
      filter: h('input', { id: 'q-filter', size: '48', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. #n > :min' }),
      names: h('textarea', { id: 'q-names', rows: '2', spellcheck: 'false', placeholder: '{"#n": "score"}' }),
      values: h('textarea', { id: 'q-values', rows: '2', spellcheck: 'false', placeholder: '{":min": {"N": "10"}}' }),
      projection: h('input', { id: 'q-projection', size: '32', autocomplete: 'off', spellcheck: 'false' }),
      direction: h('select', { id: 'q-direction' }, h('option', { value: 'asc' }, 'Ascending'), h('option', { value: 'desc' }, 'Descending')),
      limit: h('input', { id: 'q-limit', type: 'number', min: '1', value: '25', size: '6' }),
      consistent: h('input', { id: 'q-consistent', type: 'checkbox' }),
    };
    const pkLabel = h('span', {});
    const skLabel = h('span', {});
    const keyFields = h('fieldset', {}, h('legend', {}, 'Key condition (Query)'),
      h('div', { class: 'row' },
        h('label', { class: 'field' }, pkLabel, f.pk),
        h('label', { class: 'field' }, skLabel, f.skOp),
        h('label', { class: 'field' }, 'Value', f.sk),
        h('label', { class: 'field' }, 'and (between)', f.sk2)));
    const preview = h('pre', { class: 'request', 'data-test': 'request', 'aria-label': 'Request' });
    const out = h('div', { 'aria-live': 'polite' });

    function keys() {
      const ix = indexes.find((i) => i.IndexName === f.index.value);
      return ix ? ix.KeySchema : t.KeySchema;
    }

    /** The request the form describes; throws on a field that cannot be read (bad JSON). */
    function request(start) {
      const op = f.operation.value;
      const body = { TableName: table };
      if (f.index.value) body.IndexName = f.index.value;
      const names = {};
      const values = {};
      if (op === 'Query') {
        const pk = hashKey(keys());
        const sk = rangeKey(keys());
        names['#pk'] = pk;
        values[':pk'] = typed(attrType(t, pk), f.pk.value);
        let cond = '#pk = :pk';
        const skOp = f.skOp.value;
        if (sk && skOp) {
          names['#sk'] = sk;
          const ty = attrType(t, sk);
          values[':sk'] = typed(ty, f.sk.value);
          if (skOp === 'begins_with') cond += ' AND begins_with(#sk, :sk)';
          else if (skOp === 'between') { values[':sk2'] = typed(ty, f.sk2.value); cond += ' AND #sk BETWEEN :sk AND :sk2'; } else cond += ` AND #sk ${skOp} :sk`;
        }
        body.KeyConditionExpression = cond;
        if (f.direction.value === 'desc') body.ScanIndexForward = false;
      }
      const parse = (field, what) => {
        const text = field.value.trim();
        if (!text) return {};
        try {
          const v = JSON.parse(text);
          if (v && typeof v === 'object' && !Array.isArray(v)) return v;
        } catch (e) { /* reported below */ }
        throw new Error(`${what} must be a JSON object`);
      };
      Object.assign(names, parse(f.names, 'Expression attribute names'));
      Object.assign(values, parse(f.values, 'Expression attribute values'));
      if (f.filter.value.trim()) body.FilterExpression = f.filter.value.trim();
      if (f.projection.value.trim()) body.ProjectionExpression = f.projection.value.trim();
      // Only the names and values some expression could use are sent (unused ones are an error).
      const text = [body.KeyConditionExpression, body.FilterExpression, body.ProjectionExpression].join(' ');
      const used = (k) => new RegExp(`${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`).test(text);
      const usedNames = Object.fromEntries(Object.entries(names).filter(([k]) => used(k)));
      const usedValues = Object.fromEntries(Object.entries(values).filter(([k]) => used(k)));
      if (Object.keys(usedNames).length) body.ExpressionAttributeNames = usedNames;
      if (Object.keys(usedValues).length) body.ExpressionAttributeValues = usedValues;
      const limit = Number(f.limit.value);
      if (limit > 0) body.Limit = limit;
      if (f.consistent.checked) body.ConsistentRead = true;
      if (start) body.ExclusiveStartKey = start;
      return { op, body };
    }

    function refresh() {
      const isQuery = f.operation.value === 'Query';
      keyFields.disabled = !isQuery;
      f.direction.disabled = !isQuery;
      const pk = hashKey(keys());
      const sk = rangeKey(keys());
      pkLabel.textContent = `${pk} (${attrType(t, pk)}) =`;
      skLabel.textContent = sk ? `${sk} (${attrType(t, sk)})` : 'no sort key';
      f.skOp.disabled = !sk;
      f.sk.disabled = !sk;
      f.sk2.disabled = !sk || f.skOp.value !== 'between';
      try {
        const { op, body } = request();
        preview.textContent = `POST /\nX-Amz-Target: DynamoDB_20120810.${op}\n\n${JSON.stringify(body, null, 2)}`;
      } catch (e) {
        preview.textContent = e.message;
      }
    }

    const starts = [];
    async function run(start) {
      let req;
      try {
        req = request(start);
      } catch (e) {
        put(out, errorBox(e));
        return;
      }
      preview.textContent = `POST /\nX-Amz-Target: DynamoDB_20120810.${req.op}\n\n${JSON.stringify(req.body, null, 2)}`;
      try {
        const page = await call(req.op, req.body);
        starts.push(start);
        const keyNames = [...keys(), ...t.KeySchema].map((k) => k.AttributeName);
        const prev = h('button', { type: 'button', class: 'plain', id: 'q-prev', disabled: starts.length <= 1, onclick: () => { starts.pop(); run(starts.pop()); } }, '← Previous');
        const next = h('button', { type: 'button', id: 'q-next', disabled: !page.LastEvaluatedKey, onclick: () => run(page.LastEvaluatedKey) }, 'Next →');
        put(out,
          h('div', { class: 'pager' }, prev, next,
            h('span', { 'data-test': 'result-info' }, `Page ${starts.length} · Count ${page.Count} · ScannedCount ${page.ScannedCount}${page.LastEvaluatedKey ? ' · more' : ' · end'}`)),
          page.Items && page.Items.length ? itemsTable(page.Items, keyNames, table, t.KeySchema) : h('p', { class: 'muted' }, 'No items.'));
      } catch (err) {
        put(out, errorBox(err));
      }
    }

    const form = h('form', {
      class: 'stack',
      id: 'query-form',
      oninput: refresh,
      onchange: refresh,
      onsubmit: (e) => { e.preventDefault(); starts.length = 0; run(undefined); },
    },
    h('div', { class: 'row' },
      h('label', { class: 'field' }, 'Operation', f.operation),
      h('label', { class: 'field' }, 'Table or index', f.index),
      h('label', { class: 'field' }, 'Direction', f.direction),
      h('label', { class: 'field' }, 'Limit', f.limit),
      h('label', { class: 'check' }, f.consistent, 'Consistent read')),
    keyFields,
    h('fieldset', {}, h('legend', {}, 'Filter and projection (optional)'),
      h('div', { class: 'row' },
        h('label', { class: 'field' }, 'Filter expression', f.filter),
        h('label', { class: 'field' }, 'Projection expression', f.projection)),
      h('div', { class: 'row' },
        h('label', { class: 'field', style: null }, 'Expression attribute names (JSON)', f.names),
        h('label', { class: 'field' }, 'Expression attribute values (JSON)', f.values))),
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'q-run' }, 'Run')));
    refresh();
    return [h('h1', {}, `${table}: query and scan`), tableNav(table, 'query'), form,
      h('h2', {}, 'Request'), preview, h('h2', {}, 'Result'), out];
  }

  // ---- pages: one item -------------------------------------------------------------------------

  async function itemPage(table, keyParam) {
    const t = await describe(table);
    let key = null;
    if (keyParam) {
      try { key = JSON.parse(keyParam); } catch (e) { throw new Error('The item key in the address is not valid JSON.'); }
    }
    let item = null;
    if (key) {
      const got = await call('GetItem', { TableName: table, Key: key, ConsistentRead: true });
      item = got.Item || null;
    }
    const template = {};
    for (const k of t.KeySchema) template[k.AttributeName] = { [attrType(t, k.AttributeName)]: attrType(t, k.AttributeName) === 'N' ? '0' : '' };
    const editor = h('textarea', {
      id: 'item-json', rows: '18', spellcheck: 'false', 'aria-describedby': 'item-help',
      value: JSON.stringify(item || template, null, 2),
    });
    const out = h('div', { 'aria-live': 'polite' });
    const confirmRow = h('div', { class: 'row' });
    const title = key ? (item ? 'Edit item' : 'Item not found') : 'New item';

    function parseItem() {
      const v = JSON.parse(editor.value);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('An item is a JSON object of attribute values.');
      return v;
    }

    async function save(e) {
      e.preventDefault();
      let next;
      try {
        next = parseItem();
      } catch (err) {
        put(out, errorBox(new Error(`Not valid JSON: ${err.message}`)));
        return;
      }
      try {
        await call('PutItem', { TableName: table, Item: next });
        const newKey = keyOf(next, t.KeySchema);
        const moved = key && JSON.stringify(newKey) !== JSON.stringify(key);
        put(out, okBox(moved ? 'Saved as a new item (its key changed; the old item is still there).' : 'Saved.'));
        const hash = `#/t/${enc(table)}/item?key=${enc(JSON.stringify(newKey))}`;
        // Stay on this page (keeping the message): only the address changes.
        history.replaceState(null, '', hash);
        key = newKey;
        deleteButton.disabled = false;
      } catch (err) {
        put(out, errorBox(err));
      }
    }

    const deleteButton = h('button', {
      type: 'button', class: 'danger', id: 'item-delete', disabled: !item,
      onclick: () => put(confirmRow,
        h('span', {}, 'Delete this item?'),
        h('button', {
          type: 'button', class: 'danger', id: 'item-delete-confirm',
          onclick: async () => {
            try {
              await call('DeleteItem', { TableName: table, Key: key });
              go(`#/t/${enc(table)}/items`);
            } catch (err) {
              put(out, errorBox(err));
            }
          },
        }, 'Yes, delete'),
        h('button', { type: 'button', class: 'plain', onclick: () => put(confirmRow) }, 'Cancel')),
    }, 'Delete');
    const form = h('form', { class: 'stack', onsubmit: save },
      h('p', { id: 'item-help', class: 'muted' }, `DynamoDB JSON: each attribute is {"S": "text"}, {"N": "12"}, {"BOOL": true}, {"L": [...]}, {"M": {...}}... Key: ${keyText(t, t.KeySchema)}.`),
      h('label', { class: 'field' }, 'Item', editor),
      h('div', { class: 'row' }, h('button', { type: 'submit', id: 'item-save' }, 'Save'), deleteButton),
      confirmRow, out);
    return [h('h1', {}, `${table}: ${title}`), tableNav(table, key ? 'item' : 'new'), form];
  }

  // ---- pages: stream tail ----------------------------------------------------------------------

  async function streamPage(table, gen) {
    const t = await describe(table);
    const head = [h('h1', {}, `${table}: stream`), tableNav(table, 'stream')];
    if (!t.StreamSpecification || !t.StreamSpecification.StreamEnabled || !t.LatestStreamArn) {
      const view = h('select', { id: 'stream-view' }, ['NEW_AND_OLD_IMAGES', 'NEW_IMAGE', 'OLD_IMAGE', 'KEYS_ONLY'].map((v) => h('option', { value: v }, v)));
      const out = h('div', {});
      return [...head, h('p', {}, 'This table has no stream.'),
        h('form', {
          class: 'row',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              await call('UpdateTable', { TableName: table, StreamSpecification: { StreamEnabled: true, StreamViewType: view.value } });
              route();
            } catch (err) { put(out, errorBox(err)); }
          },
        }, h('label', { class: 'field' }, 'View type', view), h('button', { type: 'submit', id: 'stream-enable' }, 'Enable stream')), out];
    }
    const arn = t.LatestStreamArn;
    const list = h('tbody', {});
    const state = h('span', { class: 'muted', 'data-test': 'stream-state' }, 'Starting…');
    const out = h('div', {});
    let paused = false;
    let shown = 0;
    const pause = h('button', {
      type: 'button', class: 'plain', id: 'stream-pause',
      onclick: () => { paused = !paused; pause.textContent = paused ? 'Resume' : 'Pause'; if (!paused) tick(); },
    }, 'Pause');
    const from = h('select', { id: 'stream-from', onchange: () => route() },
      h('option', { value: 'TRIM_HORIZON' }, 'oldest retained record'), h('option', { value: 'LATEST' }, 'now'));
    from.value = sessionStorage.getItem('awsim.streamFrom') || 'TRIM_HORIZON';
    from.addEventListener('change', () => sessionStorage.setItem('awsim.streamFrom', from.value));
    // Shard id -> next iterator (null once a closed shard is read to its end).
    const iterators = new Map();

    async function discover() {
      const d = await streamsCall('DescribeStream', { StreamArn: arn });
      for (const s of d.StreamDescription.Shards || []) {
        if (iterators.has(s.ShardId)) continue;
        const it = await streamsCall('GetShardIterator', { StreamArn: arn, ShardId: s.ShardId, ShardIteratorType: from.value });
        iterators.set(s.ShardId, it.ShardIterator);
      }
    }

    function addRecord(r) {
      const d = r.dynamodb || {};
      shown += 1;
      list.prepend(h('tr', { 'data-test': 'stream-record' },
        h('td', { class: 'time' }, when(d.ApproximateCreationDateTime)),
        h('td', {}, h('span', { class: `badge ${r.eventName}` }, r.eventName)),
        h('td', { class: 'value' }, show({ M: d.Keys || {} })),
        h('td', { class: 'value', title: d.NewImage ? show({ M: d.NewImage }) : null }, d.NewImage ? show({ M: d.NewImage }) : ''),
        h('td', { class: 'value', title: d.OldImage ? show({ M: d.OldImage }) : null }, d.OldImage ? show({ M: d.OldImage }) : ''),
        h('td', { class: 'num' }, d.SequenceNumber || '')));
      while (list.children.length > 500) list.lastChild.remove();
    }

    async function tick() {
      if (gen !== generation || paused) return;
      try {
        await discover();
        for (const [shard, iterator] of iterators) {
          if (!iterator) continue;
          const page = await streamsCall('GetRecords', { ShardIterator: iterator, Limit: 1000 });
          for (const r of page.Records || []) addRecord(r);
          iterators.set(shard, page.NextShardIterator || null);
        }
        state.textContent = `Following ${arn} · ${shown} record${shown === 1 ? '' : 's'} · polled ${new Date().toLocaleTimeString()}`;
        put(out);
      } catch (err) {
        if (err.type === 'ExpiredIteratorException') iterators.clear();
        put(out, errorBox(err));
      }
      if (gen === generation && !paused) setTimeout(tick, 1000);
    }
    tick();
    return [...head,
      h('div', { class: 'pager' }, pause, h('label', { class: 'check' }, 'From', from), state),
      out,
      h('div', { class: 'scroll' }, h('table', { 'data-test': 'stream' },
        h('thead', {}, h('tr', {}, ['Time', 'Event', 'Keys', 'New image', 'Old image', 'Sequence'].map((c) => h('th', { scope: 'col' }, c)))),
        list))];
  }

  // ---- pages: create table ---------------------------------------------------------------------

  function createPage() {
    const types = () => ['S', 'N', 'B'].map((t) => h('option', { value: t }, t));
    const f = {
      name: h('input', { id: 'create-name', required: true, autocomplete: 'off', spellcheck: 'false' }),
      pk: h('input', { id: 'create-pk', required: true, value: 'pk', autocomplete: 'off', spellcheck: 'false' }),
      pkType: h('select', { id: 'create-pk-type' }, types()),
      sk: h('input', { id: 'create-sk', autocomplete: 'off', spellcheck: 'false', placeholder: '(none)' }),
      skType: h('select', { id: 'create-sk-type' }, types()),
      billing: h('select', { id: 'create-billing' }, h('option', { value: 'PAY_PER_REQUEST' }, 'On demand'), h('option', { value: 'PROVISIONED' }, 'Provisioned')),
      rcu: h('input', { id: 'create-rcu', type: 'number', min: '1', value: '5', size: '6' }),
      wcu: h('input', { id: 'create-wcu', type: 'number', min: '1', value: '5', size: '6' }),
      stream: h('select', { id: 'create-stream' }, h('option', { value: '' }, 'none'),
        ['NEW_AND_OLD_IMAGES', 'NEW_IMAGE', 'OLD_IMAGE', 'KEYS_ONLY'].map((v) => h('option', { value: v }, v))),
      ttl: h('input', { id: 'create-ttl', autocomplete: 'off', spellcheck: 'false', placeholder: '(none)' }),
    };
    const gsis = h('div', { class: 'stack' });
    function addGsi() {
      const n = gsis.children.length + 1;
      const row = h('div', { class: 'row', 'data-test': 'gsi' },
        h('label', { class: 'field' }, 'Index name', h('input', { name: 'gsi-name', value: `gsi${n}`, autocomplete: 'off' })),
        h('label', { class: 'field' }, 'Partition key', h('input', { name: 'gsi-pk', autocomplete: 'off' })),
        h('label', { class: 'field' }, 'Type', h('select', { name: 'gsi-pk-type' }, types())),
        h('label', { class: 'field' }, 'Sort key', h('input', { name: 'gsi-sk', autocomplete: 'off', placeholder: '(none)' })),
        h('label', { class: 'field' }, 'Type', h('select', { name: 'gsi-sk-type' }, types())),
        h('label', { class: 'field' }, 'Projection', h('select', { name: 'gsi-projection' }, ['ALL', 'KEYS_ONLY'].map((p) => h('option', { value: p }, p)))),
        h('button', { type: 'button', class: 'plain', onclick: () => { row.remove(); refresh(); } }, 'Remove'));
      gsis.append(row);
      refresh();
    }
    const preview = h('pre', { class: 'request', 'data-test': 'request' });
    const out = h('div', { 'aria-live': 'polite' });

    function request() {
      const defs = new Map();
      const def = (name, type) => { if (name) defs.set(name, type); };
      const schema = (pk, sk) => [{ AttributeName: pk, KeyType: 'HASH' }, ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' }] : [])];
      def(f.pk.value.trim(), f.pkType.value);
      def(f.sk.value.trim(), f.skType.value);
      const body = { TableName: f.name.value.trim(), KeySchema: schema(f.pk.value.trim(), f.sk.value.trim()) };
      const provisioned = f.billing.value === 'PROVISIONED';
      const units = { ReadCapacityUnits: Number(f.rcu.value), WriteCapacityUnits: Number(f.wcu.value) };
      body.BillingMode = f.billing.value;
      if (provisioned) body.ProvisionedThroughput = units;
      const indexes = [...gsis.children].map((row) => {
        const v = (n) => row.querySelector(`[name="${n}"]`).value.trim();
        def(v('gsi-pk'), v('gsi-pk-type'));
        def(v('gsi-sk'), v('gsi-sk-type'));
        const ix = { IndexName: v('gsi-name'), KeySchema: schema(v('gsi-pk'), v('gsi-sk')), Projection: { ProjectionType: v('gsi-projection') } };
        if (provisioned) ix.ProvisionedThroughput = units;
        return ix;
      });
      body.AttributeDefinitions = [...defs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
      if (indexes.length) body.GlobalSecondaryIndexes = indexes;
      if (f.stream.value) body.StreamSpecification = { StreamEnabled: true, StreamViewType: f.stream.value };
      return body;
    }

    function refresh() {
      const provisioned = f.billing.value === 'PROVISIONED';
      f.rcu.disabled = !provisioned;
      f.wcu.disabled = !provisioned;
      f.skType.disabled = !f.sk.value.trim();
      let text = `POST /\nX-Amz-Target: DynamoDB_20120810.CreateTable\n\n${JSON.stringify(request(), null, 2)}`;
      if (f.ttl.value.trim()) text += `\n\nthen UpdateTimeToLive: ${JSON.stringify({ TableName: f.name.value.trim(), TimeToLiveSpecification: { AttributeName: f.ttl.value.trim(), Enabled: true } })}`;
      preview.textContent = text;
    }

    const form = h('form', {
      class: 'stack', id: 'create-form', oninput: refresh, onchange: refresh,
      onsubmit: async (e) => {
        e.preventDefault();
        const body = request();
        try {
          await call('CreateTable', body);
          if (f.ttl.value.trim()) {
            await call('UpdateTimeToLive', { TableName: body.TableName, TimeToLiveSpecification: { AttributeName: f.ttl.value.trim(), Enabled: true } });
          }
          go(`#/t/${enc(body.TableName)}`);
        } catch (err) {
          put(out, errorBox(err));
        }
      },
    },
    h('div', { class: 'row' }, h('label', { class: 'field' }, 'Table name', f.name)),
    h('fieldset', {}, h('legend', {}, 'Primary key'),
      h('div', { class: 'row' },
        h('label', { class: 'field' }, 'Partition key', f.pk), h('label', { class: 'field' }, 'Type', f.pkType),
        h('label', { class: 'field' }, 'Sort key', f.sk), h('label', { class: 'field' }, 'Type', f.skType))),
    h('fieldset', {}, h('legend', {}, 'Capacity, stream, TTL'),
      h('div', { class: 'row' },
        h('label', { class: 'field' }, 'Billing', f.billing),
        h('label', { class: 'field' }, 'Read units', f.rcu), h('label', { class: 'field' }, 'Write units', f.wcu),
        h('label', { class: 'field' }, 'Stream', f.stream),
        h('label', { class: 'field' }, 'TTL attribute', f.ttl))),
    h('fieldset', {}, h('legend', {}, 'Global secondary indexes'), gsis,
      h('div', {}, h('button', { type: 'button', class: 'plain', id: 'create-add-gsi', onclick: addGsi }, '+ Add index'))),
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'create-submit' }, 'Create table')),
    out);
    refresh();
    return [h('h1', {}, 'Create table'), h('p', { class: 'muted' }, `In ${scope.account} / ${scope.region}.`), form, h('h2', {}, 'Request'), preview];
  }

  // ---- pages: clock ----------------------------------------------------------------------------

  async function clockPage() {
    const c = await admin('clock');
    const out = h('div', { 'aria-live': 'polite' });
    const now = h('dd', { 'data-test': 'clock-now' }, when(c.now));
    const epoch = h('dd', {}, String(c.now));
    const seconds = h('input', { id: 'clock-seconds', type: 'number', min: '0', step: 'any', value: '3600', size: '10' });
    const form = h('form', {
      class: 'row',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const r = await admin('clock', 'POST', { advance_seconds: Number(seconds.value) });
          now.textContent = when(r.now);
          epoch.textContent = String(r.now);
          put(out, okBox(`Clock moved. TTL sweep deleted ${r.expired_items_deleted} expired item${r.expired_items_deleted === 1 ? '' : 's'}; ${r.replicated} replicated write${r.replicated === 1 ? '' : 's'} applied.`));
        } catch (err) {
          put(out, errorBox(err));
        }
      },
    }, h('label', { class: 'field' }, 'Advance by (seconds)', seconds), h('button', { type: 'submit', id: 'clock-advance' }, 'Advance'));
    return [h('h1', {}, 'Clock'),
      h('p', { class: 'muted' }, 'awsim\'s clock drives TTL expiry, stream retention and iterator expiry. It only moves forward.'),
      h('dl', { class: 'facts' }, h('dt', {}, 'Now'), now, h('dt', {}, 'Epoch seconds'), epoch),
      h('h2', {}, 'Advance'), form, out];
  }

  // ---- pages: snapshots ------------------------------------------------------------------------

  async function snapshotsPage() {
    const { snapshots } = await admin('snapshots');
    const out = h('div', { 'aria-live': 'polite' });
    const name = h('input', { id: 'snapshot-name', required: true, pattern: '[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]*', autocomplete: 'off' });
    const act = (what, fn) => async () => {
      try {
        const r = await fn();
        put(out, okBox(`${what} in ${r.elapsed_ms !== undefined ? r.elapsed_ms.toFixed(1) : '?'} ms.`));
        setTimeout(route, 0);
      } catch (err) {
        put(out, errorBox(err));
      }
    };
    const rows = snapshots.map((s) => h('tr', {},
      h('td', {}, s.name), h('td', {}, when(s.created)), h('td', { class: 'num' }, bytes(s.size_bytes)),
      h('td', {},
        h('button', { type: 'button', onclick: act(`Restored ${s.name}`, () => admin(`snapshots/${enc(s.name)}/restore`, 'POST')) }, 'Restore'), ' ',
        h('button', { type: 'button', class: 'plain', onclick: act(`Deleted ${s.name}`, () => admin(`snapshots/${enc(s.name)}`, 'DELETE').then(() => ({}))) }, 'Delete'))));
    return [h('h1', {}, 'Snapshots'),
      h('p', { class: 'muted' }, 'A snapshot is the whole database: every table and item of every account and region. Restoring one replaces everything.'),
      h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); act(`Took ${name.value}`, () => admin('snapshots', 'POST', { name: name.value }))(); } },
        h('label', { class: 'field' }, 'Name', name), h('button', { type: 'submit', id: 'snapshot-take' }, 'Take snapshot')),
      out,
      snapshots.length
        ? h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Taken', 'Size', ''].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows)))
        : h('p', { class: 'muted' }, 'No snapshots yet.')];
  }

  // ---- keyboard --------------------------------------------------------------------------------

  let pendingG = false;
  document.addEventListener('keydown', (e) => {
    const typing = e.target.closest && e.target.closest('input, textarea, select, [contenteditable]');
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (pendingG) {
      pendingG = false;
      if (e.key === 't') { go('#/'); e.preventDefault(); return; }
      if (e.key === 'c') { go('#/clock'); e.preventDefault(); return; }
      if (e.key === 'n') { go('#/create'); e.preventDefault(); return; }
      if (e.key === 's') { go('#/snapshots'); e.preventDefault(); return; }
    }
    if (e.key === 'g') { pendingG = true; return; }
    if (e.key === '/') {
      const first = main.querySelector('input:not([disabled]), select:not([disabled]), textarea:not([disabled])');
      if (first) { first.focus(); e.preventDefault(); }
      return;
    }
    const click = (id) => { const b = document.getElementById(id); if (b && !b.disabled) { b.click(); e.preventDefault(); } };
    if (e.key === 'n') { click('next-page'); click('q-next'); }
    if (e.key === 'p') { click('prev-page'); click('q-prev'); }
  });

  // ---- start -----------------------------------------------------------------------------------

  document.getElementById('regions').append(...REGIONS.map((r) => h('option', { value: r })));
  document.getElementById('scope').addEventListener('submit', (e) => {
    e.preventDefault();
    setScope(document.getElementById('scope-account').value.trim(), document.getElementById('scope-region').value.trim());
    go('#/');
  });
  showScope();
  window.addEventListener('hashchange', route);
  route();
})();
