//! "S3" for exports (and later imports): the `object_store` crate's one API over a local
//! directory — `{data_dir}/s3/<bucket>/<key>`, a bucket being a directory that must exist — or
//! any S3-compatible server (`--s3-endpoint`, path-style addressing, credentials from the usual
//! `AWS_*` variables or `test`/`test`). Synchronous calls for the engine's background jobs; the
//! async client runs on the caller's tokio runtime when there is one, else on a small one of
//! its own. Knows nothing of DynamoDB; failures are `ObjectError`s, never panics.
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Where buckets live.
#[derive(Debug, Clone)]
pub enum Location {
    /// `<dir>/<bucket>/<key>`.
    Directory(PathBuf),
    /// An S3-compatible endpoint URL.
    Endpoint(String),
}

/// Why an object operation failed, in S3's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectError {
    NoSuchBucket(String),
    NoSuchKey(String),
    AccessDenied(String),
    Other(String),
}

impl std::fmt::Display for ObjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectError::NoSuchBucket(b) => write!(f, "The specified bucket does not exist: {b}"),
            ObjectError::NoSuchKey(k) => write!(f, "The specified key does not exist: {k}"),
            ObjectError::AccessDenied(m) => write!(f, "Access Denied: {m}"),
            ObjectError::Other(m) => write!(f, "{m}"),
        }
    }
}

pub struct Objects {
    location: Location,
    /// Used only by callers outside any tokio runtime.
    runtime: OnceLock<tokio::runtime::Runtime>,
}

impl Objects {
    pub fn new(location: Location) -> Objects {
        Objects {
            location,
            runtime: OnceLock::new(),
        }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    fn store(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>, ObjectError> {
        match &self.location {
            Location::Directory(root) => {
                let dir = root.join(bucket);
                if bucket.contains("..") || bucket.contains('/') || !dir.is_dir() {
                    return Err(ObjectError::NoSuchBucket(bucket.to_string()));
                }
                LocalFileSystem::new_with_prefix(&dir)
                    .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
                    .map_err(|e| ObjectError::Other(e.to_string()))
            }
            Location::Endpoint(url) => {
                let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
                AmazonS3Builder::new()
                    .with_endpoint(url)
                    .with_bucket_name(bucket)
                    .with_allow_http(true)
                    .with_virtual_hosted_style_request(false)
                    .with_region(env("AWS_REGION", "us-east-1"))
                    .with_access_key_id(env("AWS_ACCESS_KEY_ID", "test"))
                    .with_secret_access_key(env("AWS_SECRET_ACCESS_KEY", "test"))
                    .build()
                    .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
                    .map_err(|e| ObjectError::Other(e.to_string()))
            }
        }
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle.block_on(f),
            Err(_) => self
                .runtime
                .get_or_init(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a tokio runtime for object storage")
                })
                .block_on(f),
        }
    }

    /// Writes a whole object.
    pub fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), ObjectError> {
        let store = self.store(bucket)?;
        let path = object_path(key)?;
        self.block_on(store.put(&path, PutPayload::from(bytes)))
            .map(|_| ())
            .map_err(|e| classify(e, bucket, key))
    }

    /// Reads a whole object.
    pub fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, ObjectError> {
        let store = self.store(bucket)?;
        let path = object_path(key)?;
        self.block_on(async {
            let got = store.get(&path).await?;
            got.bytes().await
        })
        .map(|b| b.to_vec())
        .map_err(|e| classify(e, bucket, key))
    }

    /// An object's bytes as they arrive: a blocking reader over the store's stream, so an
    /// object of any size is read in constant memory.
    pub fn reader(&self, bucket: &str, key: &str) -> Result<ObjectReader<'_>, ObjectError> {
        let store = self.store(bucket)?;
        let path = object_path(key)?;
        let got = self
            .block_on(store.get(&path))
            .map_err(|e| classify(e, bucket, key))?;
        Ok(ObjectReader {
            objects: self,
            stream: got.into_stream(),
            chunk: bytes::Bytes::new(),
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// Keys of the objects under `prefix`, sorted.
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, ObjectError> {
        Ok(self
            .list_sized(bucket, prefix)?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// Keys and sizes of the objects under `prefix`, sorted by key.
    pub fn list_sized(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<(String, u64)>, ObjectError> {
        use futures_util::TryStreamExt;
        let store = self.store(bucket)?;
        let prefix = prefix.trim_matches('/');
        let path = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
        let mut keys: Vec<(String, u64)> = self
            .block_on(store.list(path.as_ref()).try_collect::<Vec<_>>())
            .map_err(|e| classify(e, bucket, prefix))?
            .into_iter()
            .map(|m| (m.location.to_string(), m.size))
            .filter(|(k, _)| !k.ends_with(".awsim-probe"))
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// Checks that the bucket exists and can be written (before an export starts).
    pub fn check_bucket(&self, bucket: &str) -> Result<(), ObjectError> {
        let store = self.store(bucket)?;
        let probe = object_path(".awsim-probe")?;
        self.block_on(async {
            store.put(&probe, PutPayload::from_static(b"")).await?;
            store.delete(&probe).await
        })
        .map_err(|e| classify(e, bucket, ""))
    }
}

/// An object being read (`Objects::reader`); a failure midway is an `io::Error` whose message
/// is the `ObjectError`'s.
pub struct ObjectReader<'a> {
    objects: &'a Objects,
    stream: futures_util::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
    bucket: String,
    key: String,
}

impl std::io::Read for ObjectReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use futures_util::StreamExt;
        while self.chunk.is_empty() {
            match self.objects.block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => {
                    let e = classify(e, &self.bucket, &self.key);
                    return Err(std::io::Error::other(e.to_string()));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        bytes::Buf::advance(&mut self.chunk, n);
        Ok(n)
    }
}

impl Drop for Objects {
    /// The fallback runtime may be dropped from async code (the engine's last owner): shut it
    /// down without blocking.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn object_path(key: &str) -> Result<ObjectPath, ObjectError> {
    ObjectPath::parse(key).map_err(|e| ObjectError::Other(format!("object key {key:?}: {e}")))
}

fn classify(e: object_store::Error, bucket: &str, key: &str) -> ObjectError {
    let text = e.to_string();
    match e {
        _ if text.contains("NoSuchBucket") => ObjectError::NoSuchBucket(bucket.to_string()),
        object_store::Error::NotFound { .. } => ObjectError::NoSuchKey(key.to_string()),
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => ObjectError::AccessDenied(text),
        _ if text.contains("AccessDenied") => ObjectError::AccessDenied(text),
        _ => ObjectError::Other(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A local bucket is a directory that must exist, as an S3 bucket must; objects round-trip,
    // a missing key is NoSuchKey, and a bucket name cannot escape the root.
    #[test]
    fn local_buckets_must_exist_and_objects_round_trip() {
        let root = std::env::temp_dir().join(format!("awsim-objects-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("bkt")).unwrap();
        let objects = Objects::new(Location::Directory(root.clone()));
        assert_eq!(
            objects.put("nope", "a/b", b"x".to_vec()),
            Err(ObjectError::NoSuchBucket("nope".into()))
        );
        assert_eq!(
            objects.check_bucket(".."),
            Err(ObjectError::NoSuchBucket("..".into()))
        );
        objects.check_bucket("bkt").unwrap();
        objects.put("bkt", "a/b.json", b"hello".to_vec()).unwrap();
        assert_eq!(objects.get("bkt", "a/b.json").unwrap(), b"hello");
        assert!(root.join("bkt/a/b.json").is_file());
        assert!(matches!(
            objects.get("bkt", "a/missing"),
            Err(ObjectError::NoSuchKey(_))
        ));
        let _ = std::fs::remove_dir_all(&root);
    }
}
