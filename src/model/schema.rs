//! Table schemas and the metadata a TableDescription is rendered from.
//!
//! These types derive serde only because storage persists them as the `meta` column of the
//! `tables` row; the wire shape (TableDescription) is rendered by `ops`, never from these derives.
use super::value::ScalarType;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    pub ty: KeyType,
}

/// Serde-friendly mirror of [`ScalarType`] for key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyType {
    S,
    N,
    B,
}

impl From<ScalarType> for KeyType {
    fn from(t: ScalarType) -> Self {
        match t {
            ScalarType::S => KeyType::S,
            ScalarType::N => KeyType::N,
            ScalarType::B => KeyType::B,
        }
    }
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::S => "S",
            KeyType::N => "N",
            KeyType::B => "B",
        }
    }
    pub fn scalar(self) -> ScalarType {
        match self {
            KeyType::S => ScalarType::S,
            KeyType::N => ScalarType::N,
            KeyType::B => ScalarType::B,
        }
    }
}

/// A partition key and an optional sort key. A global secondary index may have a multi-attribute
/// key (up to four partition and four sort key attributes): `hash` and `range` are then the first
/// of each, `more_hash` and `more_range` the others in KeySchema order; tables and LSIs never
/// have them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeySchema {
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
    /// The 2nd..4th partition key attributes of a multi-attribute GSI key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_hash: Vec<KeyAttr>,
    /// The 2nd..4th sort key attributes of a multi-attribute GSI key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_range: Vec<KeyAttr>,
}

impl KeySchema {
    /// A one- or two-attribute key.
    pub fn new(hash: KeyAttr, range: Option<KeyAttr>) -> KeySchema {
        KeySchema {
            hash,
            range,
            more_hash: Vec::new(),
            more_range: Vec::new(),
        }
    }
    /// Every key attribute in KeySchema order: the partition key attributes, then the sort key's.
    pub fn attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        self.hash_attrs().chain(self.range_attrs())
    }
    /// The partition key attributes, in order.
    pub fn hash_attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        std::iter::once(&self.hash).chain(self.more_hash.iter())
    }
    /// The sort key attributes, in order (none for a hash-only key).
    pub fn range_attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        self.range.iter().chain(self.more_range.iter())
    }
    /// Whether the partition or the sort key has more than one attribute.
    pub fn is_multi(&self) -> bool {
        !self.more_hash.is_empty() || !self.more_range.is_empty()
    }
    pub fn contains(&self, name: &str) -> bool {
        self.attrs().any(|a| a.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectionType {
    All,
    KeysOnly,
    Include,
}

impl ProjectionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectionType::All => "ALL",
            ProjectionType::KeysOnly => "KEYS_ONLY",
            ProjectionType::Include => "INCLUDE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub ty: ProjectionType,
    /// INCLUDE's NonKeyAttributes, in the client's order.
    pub non_key_attributes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
    /// Epoch seconds; 0 when never changed.
    pub last_increase: f64,
    pub last_decrease: f64,
    pub decreases_today: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    Global,
    Local,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDef {
    pub name: String,
    pub kind: IndexKind,
    pub key: KeySchema,
    pub projection: Projection,
    /// GSIs only: None for on-demand tables' GSIs is still rendered as zeros.
    pub throughput: Option<Throughput>,
    /// `ACTIVE`, or `CREATING` while a new GSI is backfilled.
    pub status: String,
    pub backfilling: bool,
    /// GSIs of on-demand tables: OnDemandThroughput (max read, max write request units; -1 for
    /// no maximum), enforced like the table's.
    #[serde(default)]
    pub on_demand: Option<(i64, i64)>,
    /// GSIs: WarmThroughput as set (read, write units per second).
    #[serde(default)]
    pub warm: Option<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    pub view_type: String,
    /// Label (ISO-8601 creation time) of the latest stream; a new one each time streams are enabled.
    pub label: String,
    pub enabled: bool,
    /// Row id of the stream in storage (its records are keyed by it); 0 until the engine stores it.
    #[serde(default)]
    pub id: i64,
}

/// Time to Live: the attribute holding each item's expiry (epoch seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TtlState {
    pub attribute: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sse {
    pub enabled: bool,
    pub sse_type: Option<String>,
    pub kms_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    /// Row id of the table in storage; items and index rows are keyed by it.
    pub id: i64,
    pub account: String,
    pub region: String,
    pub name: String,
    pub key: KeySchema,
    /// In the client's order, as DescribeTable echoes them.
    pub attribute_definitions: Vec<(String, KeyType)>,
    pub billing_mode: BillingMode,
    pub throughput: Throughput,
    pub created: f64,
    pub last_update_to_pay_per_request: Option<f64>,
    pub gsis: Vec<IndexDef>,
    pub lsis: Vec<IndexDef>,
    pub stream: Option<StreamState>,
    #[serde(default)]
    pub ttl: Option<TtlState>,
    pub sse: Option<Sse>,
    pub table_class: Option<String>,
    pub deletion_protection: bool,
    /// In the order they were first set (a later TagResource of the same key keeps the place).
    pub tags: Vec<(String, String)>,
    pub status: String,
    /// Point-in-time recovery, while enabled.
    #[serde(default)]
    pub pitr: Option<PitrState>,
    /// How this table was restored (RestoreSummary); `in_progress` while its items are loaded.
    #[serde(default)]
    pub restore: Option<RestoreState>,
    /// The table's resource-based policy (stored and returned, never enforced).
    #[serde(default)]
    pub policy: Option<Policy>,
    /// Resource-based policies of the table's streams, by stream label.
    #[serde(default)]
    pub stream_policies: Vec<(String, Policy)>,
    /// Kinesis Data Streams destinations, in the order they were first enabled.
    #[serde(default)]
    pub kinesis: Vec<KinesisDestination>,
    /// Auto scaling settings of the table's own capacity (stored, never acted on).
    #[serde(default)]
    pub auto_scaling: CapacityAutoScaling,
    /// Auto scaling settings of its GSIs, by index name.
    #[serde(default)]
    pub index_auto_scaling: Vec<(String, CapacityAutoScaling)>,
    /// OnDemandThroughput as set by CreateTable/UpdateTable (max read, max write request units).
    #[serde(default)]
    pub on_demand: Option<(i64, i64)>,
    /// WarmThroughput as set by CreateTable/UpdateTable (read, write units per second).
    #[serde(default)]
    pub warm: Option<(i64, i64)>,
    /// Global tables: the version (`2019.11.21` or `2017.11.29`) when the table is replicated.
    #[serde(default)]
    pub global_version: Option<String>,
    /// Every region of the table's replication group, this one included (empty when the table
    /// is not global), with each replica's status.
    #[serde(default)]
    pub replicas: Vec<Replica>,
    /// When a 2017.11.29 global table was created (CreateGlobalTable).
    #[serde(default)]
    pub global_created: Option<f64>,
    /// Vector indexes (SearchVectors), in the client's order.
    #[serde(default)]
    pub vector_indexes: Vec<super::vector::VectorIndexDef>,
    /// Contributor insights of the table (`index` None) and of its GSIs, once first enabled.
    #[serde(default)]
    pub contributor_insights: Vec<ContributorInsights>,
}

/// Contributor insights on a table or one of its GSIs (UpdateContributorInsights). awsim counts
/// the keys of real traffic while it is enabled (`engine::insights`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributorInsights {
    /// The GSI, or None for the table itself.
    pub index: Option<String>,
    pub enabled: bool,
    /// `ACCESSED_AND_THROTTLED_KEYS` or `THROTTLED_KEYS`.
    pub mode: String,
    /// Epoch seconds of the last status change (LastUpdateDateTime).
    pub updated: f64,
    /// Epoch milliseconds when the current rules were created (their names end with it).
    pub rules_created: i64,
}

/// A resource-based policy: the document exactly as given, and its revision id (the service's
/// shape: a decimal string of milliseconds, compared as a string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub document: String,
    pub revision: String,
}

/// A Kinesis Data Streams destination of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KinesisDestination {
    pub stream_arn: String,
    /// `ACTIVE` or `DISABLED` once settled (the transitional states are only answered).
    pub status: String,
    /// `MILLISECOND` or `MICROSECOND`.
    pub precision: String,
}

/// Auto scaling of read and write capacity (Application Auto Scaling's settings as DynamoDB
/// describes them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CapacityAutoScaling {
    pub read: Option<AutoScaling>,
    pub write: Option<AutoScaling>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoScaling {
    pub min: i64,
    pub max: i64,
    pub disabled: bool,
    pub role_arn: String,
    pub policies: Vec<ScalingPolicy>,
}

/// A target tracking scaling policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPolicy {
    pub name: String,
    pub target: f64,
    pub disable_scale_in: Option<bool>,
    pub scale_in_cooldown: Option<i64>,
    pub scale_out_cooldown: Option<i64>,
}

/// One region of a global table's replication group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replica {
    pub region: String,
    /// `ACTIVE` once created (answers show `CREATING`/`DELETING` while a change is requested).
    pub status: String,
    /// UpdateTable's `TableClassOverride` for this replica.
    #[serde(default)]
    pub table_class: Option<String>,
    /// `ProvisionedThroughputOverride.ReadCapacityUnits` for this replica.
    #[serde(default)]
    pub read_override: Option<i64>,
}

impl TableMeta {
    /// The table's unique id (UUID-shaped), fixed for the life of the table: derived from what
    /// identifies this incarnation of it (account, region, name, creation time), so a table
    /// created again under the same name gets another id and no storage is needed.
    pub fn table_id(&self) -> String {
        let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        let created = self.created.to_bits().to_le_bytes();
        for b in [
            self.account.as_bytes(),
            b"/",
            self.region.as_bytes(),
            b"/",
            self.name.as_bytes(),
            b"/",
            &created,
        ]
        .concat()
        {
            // FNV-1a, 128-bit.
            h ^= b as u128;
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
        }
        let h = (h & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
        let hex = format!("{h:032x}");
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    pub fn arn(&self) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            self.region, self.account, self.name
        )
    }
    pub fn stream_arn(&self) -> Option<String> {
        self.stream
            .as_ref()
            .map(|s| format!("{}/stream/{}", self.arn(), s.label))
    }
    pub fn index(&self, name: &str) -> Option<&IndexDef> {
        self.gsis
            .iter()
            .chain(self.lsis.iter())
            .find(|i| i.name == name)
    }
    pub fn vector_index(&self, name: &str) -> Option<&super::vector::VectorIndexDef> {
        self.vector_indexes.iter().find(|v| v.name == name)
    }
    pub fn indexes(&self) -> impl Iterator<Item = &IndexDef> {
        self.gsis.iter().chain(self.lsis.iter())
    }
    /// The other regions of the table's replication group (where its writes are replicated).
    pub fn replica_targets(&self) -> impl Iterator<Item = &str> {
        self.replicas
            .iter()
            .map(|r| r.region.as_str())
            .filter(move |r| *r != self.region)
    }
    /// Whether the table belongs to a replication group with another region.
    pub fn is_replicated(&self) -> bool {
        self.replica_targets().next().is_some()
    }
    /// Contributor insights on the table (`index` None) or a GSI, when enabled.
    pub fn insights(&self, index: Option<&str>) -> Option<&ContributorInsights> {
        self.contributor_insights
            .iter()
            .find(|c| c.enabled && c.index.as_deref() == index)
    }
}

/// What ExportTableToPointInTime asked for, persisted with the export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportSpec {
    pub table_arn: String,
    /// The table's TableId (UUID).
    pub table_id: String,
    pub bucket: String,
    pub bucket_owner: Option<String>,
    pub prefix: Option<String>,
    pub sse_algorithm: Option<String>,
    pub sse_kms_key: Option<String>,
    /// DYNAMODB_JSON (ION is refused before an export is recorded).
    pub format: String,
    /// FULL_EXPORT or INCREMENTAL_EXPORT.
    pub export_type: String,
    /// FULL_EXPORT: the point in time exported; INCREMENTAL_EXPORT: the end of the period.
    pub export_time: f64,
    /// INCREMENTAL_EXPORT: the start of the period and the view type.
    pub from_time: Option<f64>,
    pub view: Option<String>,
    pub client_token: Option<String>,
}

/// What StartBulkPutItems asked for, persisted with the operation. The two S3 configurations
/// are kept as the request gave them (JSON text), echoed by DescribeBulkOperation; the fields
/// the job needs are read out of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkSpec {
    pub table_arn: String,
    pub table_id: String,
    pub input_bucket: String,
    pub input_prefix: Option<String>,
    /// DYNAMODB_JSON (ION is refused before an operation is recorded).
    pub format: String,
    /// GZIP, ZSTD or NONE.
    pub compression: String,
    pub output_bucket: String,
    pub output_prefix: Option<String>,
    /// ERROR and/or CONDITION_CHECK_FAILURE.
    pub output_types: Vec<String>,
    pub input_config: String,
    pub output_config: String,
    pub client_token: Option<String>,
    pub max_write_units: Option<i64>,
    pub performance_tier: Option<String>,
}

/// What ImportTable asked for, persisted with the import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportSpec {
    pub bucket: String,
    pub bucket_owner: Option<String>,
    pub prefix: Option<String>,
    /// DYNAMODB_JSON or CSV (ION is refused before an import is recorded).
    pub format: String,
    pub csv_delimiter: Option<String>,
    pub csv_header: Option<Vec<String>>,
    /// GZIP, ZSTD or NONE.
    pub compression: String,
    /// The request's TableCreationParameters, echoed by DescribeImport (JSON text).
    pub table_parameters: String,
    pub table_arn: String,
    pub table_id: String,
    pub client_token: Option<String>,
}

/// Point-in-time recovery on a table: every item change is logged (its old image) from
/// `enabled_at` on, and kept for `period_days`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PitrState {
    pub period_days: i64,
    /// Epoch seconds (engine clock): the earliest time the table can be restored to.
    pub enabled_at: f64,
}

/// Where a restored table's items come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RestoreSource {
    /// An on-demand backup (its storage id).
    Backup(i64),
    /// A table with PITR (its storage id) as it was at `at`.
    PointInTime { table: i64, at: f64 },
}

/// A restored table's RestoreSummary, and what the background restore needs to (re)start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreState {
    pub source_backup_arn: Option<String>,
    pub source_table_arn: Option<String>,
    /// The backup's creation time, or the point in time restored to.
    pub restore_time: f64,
    pub in_progress: bool,
    pub source: RestoreSource,
}
