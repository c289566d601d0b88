//! The one error type. A kind maps to `__type` + HTTP status in exactly one place
//! ([`ErrorKind::wire`]); the protocol layer renders it, nothing else builds error bodies.
use crate::model::Item;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad parameter values (model constraints or the service's own checks).
    Validation,
    /// The body is not JSON, or a member has the wrong JSON type.
    Serialization,
    UnknownOperation,
    MissingAuthenticationToken,
    ResourceNotFound,
    ResourceInUse,
    LimitExceeded,
    ConditionalCheckFailed,
    /// DynamoDB Streams: a shard iterator older than 15 minutes.
    ExpiredIterator,
    /// DynamoDB Streams: reading records already past the retention period.
    TrimmedDataAccess,
    /// A transaction was refused as a whole; its per-action reasons ride in
    /// [`ErrorDetail::CancellationReasons`] (absent for the few whole-call cases DynamoDB Local
    /// reports with this type, such as a TransactGetItems key of the wrong type).
    TransactionCanceled,
    /// A ClientRequestToken seen within the last 10 minutes came with a different request.
    IdempotentParameterMismatch,
    /// Backups: no backup with the given ARN (in this account and region).
    BackupNotFound,
    /// Backups: the backup (or its table) is busy with another backup operation.
    BackupInUse,
    /// A restore's target table already exists.
    TableAlreadyExists,
    /// A table is being created, restored or deleted.
    TableInUse,
    /// PITR: restoring (or exporting) a table that has no point-in-time recovery.
    PointInTimeRecoveryUnavailable,
    /// PITR: a restore time outside [EarliestRestorableDateTime, LatestRestorableDateTime].
    InvalidRestoreTime,
    /// Exports: no export with the given ARN.
    ExportNotFound,
    /// Exports: a ClientToken reused with other parameters.
    ExportConflict,
    /// Exports: an ExportTime (or incremental period) outside the PITR window.
    InvalidExportTime,
    /// Imports: no import with the given ARN.
    ImportNotFound,
    /// Imports: a ClientToken reused with other parameters.
    ImportConflict,
    /// PartiQL INSERT of a key that already holds an item (INSERT is never an upsert).
    DuplicateItem,
    /// The caller may not act on the resource: an ARN of another account, or of a resource
    /// that does not exist (the service authorises on the ARN before it looks the resource up).
    AccessDenied,
    /// No resource-based policy on the resource, or not the expected revision.
    PolicyNotFound,
    /// Global tables (2017.11.29): the source table of a replica does not exist; backups and
    /// PITR name a missing source table with it too, not ResourceNotFound.
    TableNotFound,
    GlobalTableNotFound,
    GlobalTableAlreadyExists,
    ReplicaAlreadyExists,
    ReplicaNotFound,
    IndexNotFound,
    /// The request body (as sent, or once decompressed) is larger than the endpoint accepts:
    /// HTTP 413, answered before the rest of the body is read.
    RequestEntityTooLarge,
    /// Strict authentication (`--auth strict`): an access key awsim does not know.
    UnrecognizedClient,
    /// Strict authentication: a wrong signature, or a date outside the allowed skew.
    InvalidSignature,
    /// Strict authentication: an Authorization header without its parts or date.
    IncompleteSignature,
    /// awsim is overloaded (too many connections, or its engine queue is full): 503, retryable.
    Throttling,
    /// A table or GSI out of provisioned capacity (`engine::capacity`); the reasons ride in
    /// [`ErrorDetail::ThrottlingReasons`].
    ProvisionedThroughputExceeded,
    /// A request over a table's or GSI's on-demand maximum (OnDemandThroughput): the service's
    /// ThrottlingException (400), with its reasons.
    ThroughputThrottled,
    /// A real fault on our side: logged, rendered as 500.
    Internal,
}

impl ErrorKind {
    /// `(__type, HTTP status)` as the service sends them.
    pub fn wire(self) -> (&'static str, u16) {
        match self {
            ErrorKind::Validation => ("com.amazon.coral.validate#ValidationException", 400),
            ErrorKind::Serialization => ("com.amazon.coral.service#SerializationException", 400),
            ErrorKind::UnknownOperation => (
                "com.amazonaws.dynamodb.v20120810#UnknownOperationException",
                400,
            ),
            ErrorKind::MissingAuthenticationToken => (
                "com.amazon.coral.service#MissingAuthenticationTokenException",
                400,
            ),
            ErrorKind::ResourceNotFound => (
                "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                400,
            ),
            ErrorKind::ResourceInUse => (
                "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
                400,
            ),
            ErrorKind::LimitExceeded => (
                "com.amazonaws.dynamodb.v20120810#LimitExceededException",
                400,
            ),
            ErrorKind::ConditionalCheckFailed => (
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                400,
            ),
            ErrorKind::ExpiredIterator => (
                "com.amazonaws.dynamodb.v20120810#ExpiredIteratorException",
                400,
            ),
            ErrorKind::TrimmedDataAccess => (
                "com.amazonaws.dynamodb.v20120810#TrimmedDataAccessException",
                400,
            ),
            ErrorKind::TransactionCanceled => (
                "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                400,
            ),
            ErrorKind::IdempotentParameterMismatch => (
                "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                400,
            ),
            ErrorKind::BackupNotFound => (
                "com.amazonaws.dynamodb.v20120810#BackupNotFoundException",
                400,
            ),
            ErrorKind::BackupInUse => {
                ("com.amazonaws.dynamodb.v20120810#BackupInUseException", 400)
            }
            ErrorKind::TableAlreadyExists => (
                "com.amazonaws.dynamodb.v20120810#TableAlreadyExistsException",
                400,
            ),
            ErrorKind::TableInUse => ("com.amazonaws.dynamodb.v20120810#TableInUseException", 400),
            // The model's name; DynamoDB Local says `#DuplicateItem` (ORACLE.md).
            ErrorKind::DuplicateItem => (
                "com.amazonaws.dynamodb.v20120810#DuplicateItemException",
                400,
            ),
            ErrorKind::AccessDenied => ("com.amazon.coral.service#AccessDeniedException", 400),
            ErrorKind::PolicyNotFound => (
                "com.amazonaws.dynamodb.v20120810#PolicyNotFoundException",
                400,
            ),
            ErrorKind::TableNotFound => (
                "com.amazonaws.dynamodb.v20120810#TableNotFoundException",
                400,
            ),
            ErrorKind::PointInTimeRecoveryUnavailable => (
                "com.amazonaws.dynamodb.v20120810#PointInTimeRecoveryUnavailableException",
                400,
            ),
            ErrorKind::InvalidRestoreTime => (
                "com.amazonaws.dynamodb.v20120810#InvalidRestoreTimeException",
                400,
            ),
            ErrorKind::ExportNotFound => (
                "com.amazonaws.dynamodb.v20120810#ExportNotFoundException",
                400,
            ),
            ErrorKind::ExportConflict => (
                "com.amazonaws.dynamodb.v20120810#ExportConflictException",
                400,
            ),
            ErrorKind::InvalidExportTime => (
                "com.amazonaws.dynamodb.v20120810#InvalidExportTimeException",
                400,
            ),
            ErrorKind::ImportNotFound => (
                "com.amazonaws.dynamodb.v20120810#ImportNotFoundException",
                400,
            ),
            ErrorKind::ImportConflict => (
                "com.amazonaws.dynamodb.v20120810#ImportConflictException",
                400,
            ),
            ErrorKind::GlobalTableNotFound => (
                "com.amazonaws.dynamodb.v20120810#GlobalTableNotFoundException",
                400,
            ),
            ErrorKind::GlobalTableAlreadyExists => (
                "com.amazonaws.dynamodb.v20120810#GlobalTableAlreadyExistsException",
                400,
            ),
            ErrorKind::ReplicaAlreadyExists => (
                "com.amazonaws.dynamodb.v20120810#ReplicaAlreadyExistsException",
                400,
            ),
            ErrorKind::ReplicaNotFound => (
                "com.amazonaws.dynamodb.v20120810#ReplicaNotFoundException",
                400,
            ),
            ErrorKind::IndexNotFound => (
                "com.amazonaws.dynamodb.v20120810#IndexNotFoundException",
                400,
            ),
            ErrorKind::RequestEntityTooLarge => (
                "com.amazon.coral.service#RequestEntityTooLargeException",
                413,
            ),
            ErrorKind::UnrecognizedClient => {
                ("com.amazon.coral.service#UnrecognizedClientException", 400)
            }
            ErrorKind::InvalidSignature => {
                ("com.amazon.coral.service#InvalidSignatureException", 400)
            }
            ErrorKind::IncompleteSignature => {
                ("com.amazon.coral.service#IncompleteSignatureException", 400)
            }
            ErrorKind::Throttling => ("com.amazon.coral.availability#ThrottlingException", 503),
            ErrorKind::ProvisionedThroughputExceeded => (
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                400,
            ),
            ErrorKind::ThroughputThrottled => {
                ("com.amazonaws.dynamodb.v20120810#ThrottlingException", 400)
            }
            ErrorKind::Internal => ("com.amazonaws.dynamodb.v20120810#InternalServerError", 500),
        }
    }

    /// The body key of the message: the service's front end writes `Message` for its own
    /// SerializationException, for TransactionCanceledException (the model's member name) and
    /// for the coral AccessDeniedException (ORACLE.md), `message` for the rest. awsim's own
    /// front-end refusal (413) follows its front-end siblings.
    pub fn message_key(self) -> &'static str {
        match self {
            ErrorKind::Serialization
            | ErrorKind::TransactionCanceled
            | ErrorKind::AccessDenied
            | ErrorKind::RequestEntityTooLarge => "Message",
            _ => "message",
        }
    }
}

/// Extra payload some errors carry in their body.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorDetail {
    /// ConditionalCheckFailed with ReturnValuesOnConditionCheckFailure=ALL_OLD.
    Item(Item),
    /// TransactionCanceled: one reason per action, in request order.
    CancellationReasons(Vec<CancellationReason>),
    /// ProvisionedThroughputExceeded / ThroughputThrottled: what ran short, per resource.
    ThrottlingReasons(Vec<ThrottlingReason>),
}

/// Why a request was throttled (the model's ThrottlingReason): `reason` is
/// ResourceType + OperationType + LimitType (`TableReadProvisionedThroughputExceeded`,
/// `IndexWriteMaxOnDemandThroughputExceeded`, ...), `resource` the table's or index's ARN.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottlingReason {
    pub reason: String,
    pub resource: String,
}

/// Why one action of a transaction could not run: `None` for the actions that were fine.
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, ...
    pub code: &'static str,
    pub message: Option<String>,
    /// The current item, for a failed condition with ReturnValuesOnConditionCheckFailure=ALL_OLD.
    pub item: Option<Item>,
}

impl CancellationReason {
    pub fn none() -> CancellationReason {
        CancellationReason {
            code: "None",
            message: None,
            item: None,
        }
    }

    /// The reason an action's own error becomes: a failed condition keeps its message and old
    /// item; a throttled action is `ProvisionedThroughputExceeded` (provisioned capacity) or
    /// `ThrottlingError` (on demand), in the words the service's documentation gives for a
    /// transaction (table or GSI); any other client error is a `ValidationError`.
    pub fn from_error(e: Error) -> CancellationReason {
        let index_only = || match e.detail.as_deref() {
            Some(ErrorDetail::ThrottlingReasons(r)) => {
                !r.is_empty() && r.iter().all(|r| r.reason.starts_with("Index"))
            }
            _ => false,
        };
        let (code, message) = match e.kind {
            ErrorKind::ConditionalCheckFailed => ("ConditionalCheckFailed", None),
            ErrorKind::ProvisionedThroughputExceeded => (
                "ProvisionedThroughputExceeded",
                Some(if index_only() {
                    "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API."
                } else {
                    "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
                }),
            ),
            ErrorKind::ThroughputThrottled => (
                "ThrottlingError",
                Some(if index_only() {
                    "Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly."
                } else {
                    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html."
                }),
            ),
            _ => ("ValidationError", None),
        };
        if let Some(message) = message {
            return CancellationReason {
                code,
                message: Some(message.into()),
                item: None,
            };
        }
        let item = match e.detail.map(|d| *d) {
            Some(ErrorDetail::Item(item)) => Some(item),
            _ => None,
        };
        CancellationReason {
            code,
            message: e.message,
            item,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    /// `None` renders a body without `message` (the service does that for a few errors).
    pub message: Option<String>,
    pub detail: Option<Box<ErrorDetail>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: Some(message.into()),
            detail: None,
        }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Validation, message)
    }
    pub fn serialization(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Serialization, message)
    }
    /// The service's generic not-found answer for data-plane operations.
    pub fn table_not_found() -> Self {
        Error::new(ErrorKind::ResourceNotFound, "Requested resource not found")
    }
    pub fn internal(message: impl fmt::Display) -> Self {
        tracing::error!("internal error: {message}");
        Error::new(ErrorKind::Internal, "Internal server error")
    }
    /// TransactionCanceledException with the service's summary of the reasons' codes.
    pub fn cancelled(reasons: Vec<CancellationReason>) -> Self {
        let codes: Vec<&str> = reasons.iter().map(|r| r.code).collect();
        Error {
            kind: ErrorKind::TransactionCanceled,
            message: Some(format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            )),
            detail: Some(Box::new(ErrorDetail::CancellationReasons(reasons))),
        }
    }

    pub fn with_item(mut self, item: Item) -> Self {
        self.detail = Some(Box::new(ErrorDetail::Item(item)));
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.kind.wire().0,
            self.message.as_deref().unwrap_or("")
        )
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::internal(format!("sqlite: {e}"))
    }
}
