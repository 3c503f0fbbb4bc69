// SPDX-License-Identifier: AGPL-3.0-only
//! The content store: kept messages' bytes, each in a read-only file named by its BLAKE3
//! hash, so the same message kept by many snapshots (and archives) is one file. A file is
//! written whole or not at all (a temporary file renamed into place), and its hash is
//! checked on every read: a changed file is reported, never served as genuine.
//!
//! A put returns once its file is on disk. The disk is made to catch up by one sync of the
//! store's file system shared by every put that finished its file meanwhile (a group commit,
//! for files): a file and a folder sync each (two disk flushes, some 8 ms here) would bound
//! the journal to about a hundred copies a second.

use std::{
    collections::HashMap,
    fmt,
    io::{self, Write},
    path::{Path, PathBuf},
    str::FromStr,
    sync::{
        Arc, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

/// The BLAKE3 hash of an object's bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectHash([u8; 32]);

impl ObjectHash {
    pub fn of(bytes: &[u8]) -> ObjectHash {
        ObjectHash(*blake3::hash(bytes).as_bytes())
    }
}

impl fmt::Display for ObjectHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectHash({self})")
    }
}

/// Not 64 lowercase hexadecimal digits.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an object hash")]
pub struct BadHash;

impl FromStr for ObjectHash {
    type Err = BadHash;

    fn from_str(s: &str) -> Result<ObjectHash, BadHash> {
        let digits = s.as_bytes();
        if digits.len() != 64 {
            return Err(BadHash);
        }
        let digit = |d: u8| match d {
            b'0'..=b'9' => Ok(d - b'0'),
            b'a'..=b'f' => Ok(d - b'a' + 10),
            _ => Err(BadHash),
        };
        let mut hash = [0u8; 32];
        for (byte, pair) in hash.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Ok(ObjectHash(hash))
    }
}

/// Why an object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such object")]
    Missing,
    /// The file's bytes no longer hash to its name.
    #[error("object {0} was changed on disk")]
    Tampered(ObjectHash),
    #[error("content store: {0}")]
    Io(#[from] io::Error),
}

/// The content store in a folder of its own. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ContentStore {
    root: Arc<PathBuf>,
    /// Writers that are about to refer to an object (a file written, then its row) hold it
    /// shared; the collection of objects nothing refers to holds it alone, so it never
    /// takes a file a row is being written for.
    collecting: Arc<tokio::sync::RwLock<()>>,
    syncs: Arc<Syncs>,
}

/// Which files may not be on disk yet, and the syncs that put them there. Every file written
/// takes a ticket once it is in place; a sync covers every ticket taken before it started.
#[derive(Debug, Default)]
struct Syncs {
    /// Objects written since the sync that last finished, with their tickets (`u64::MAX`
    /// while the file is being put in place).
    unsynced: std::sync::Mutex<HashMap<ObjectHash, u64>>,
    /// The last ticket taken.
    tickets: AtomicU64,
    /// The last ticket the syncs so far covered; held while a sync runs, so that puts that
    /// finish meanwhile wait for, and share, the next one.
    synced: tokio::sync::Mutex<u64>,
    /// Syncs run so far.
    rounds: AtomicU64,
}

impl Syncs {
    fn ticket(&self) -> u64 {
        self.tickets.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn unsynced(&self) -> std::sync::MutexGuard<'_, HashMap<ObjectHash, u64>> {
        self.unsynced.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ContentStore {
    /// The store in `root`, made when missing. Whatever an earlier run left unsynced is
    /// synced first.
    pub fn open(root: &Path) -> io::Result<ContentStore> {
        std::fs::create_dir_all(root.join("incoming"))?;
        sync_file_system(root)?;
        Ok(ContentStore {
            root: Arc::new(root.to_path_buf()),
            collecting: Arc::default(),
            syncs: Arc::default(),
        })
    }

    /// Held while objects are kept and the rows that refer to them written.
    pub async fn writing(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.collecting.read().await
    }

    /// Held while objects nothing refers to are found and removed.
    pub async fn collecting(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.collecting.write().await
    }

    fn path_of(&self, hash: &ObjectHash) -> PathBuf {
        let name = hash.to_string();
        self.root.join(&name[..2]).join(&name[2..4]).join(name)
    }

    /// Keeps these bytes; their hash, once the file is on disk. Bytes already kept are not
    /// written again.
    pub async fn put(&self, bytes: Vec<u8>) -> io::Result<ObjectHash> {
        self.put_reading(bytes, |_| ()).await.map(|(hash, ())| hash)
    }

    /// Keeps these bytes as [`put`](Self::put) does, and has `read` read them on the same
    /// blocking thread first (one hand-over to the blocking pool instead of two: under load,
    /// each is a thread woken).
    pub async fn put_reading<T: Send + 'static>(
        &self,
        bytes: Vec<u8>,
        read: impl FnOnce(&[u8]) -> T + Send + 'static,
    ) -> io::Result<(ObjectHash, T)> {
        let store = self.clone();
        let (written, read) = tokio::task::spawn_blocking(move || {
            let read = read(&bytes);
            (store.write(&bytes), read)
        })
        .await
        .map_err(io::Error::other)?;
        let (hash, ticket) = written?;
        if let Some(ticket) = ticket {
            self.settle(ticket).await?;
        }
        Ok((hash, read))
    }

    /// Puts the file in place; its hash and, unless it is known to be on disk already, the
    /// ticket a sync must cover.
    fn write(&self, bytes: &[u8]) -> io::Result<(ObjectHash, Option<u64>)> {
        let hash = ObjectHash::of(bytes);
        let path = self.path_of(&hash);
        if path.exists() {
            // Put in place by another put whose sync may still be ahead: a sync that starts
            // from now on covers it.
            let pending = self.syncs.unsynced().contains_key(&hash);
            return Ok((hash, pending.then(|| self.syncs.ticket())));
        }
        let dir = path.parent().ok_or_else(|| io::Error::other("no folder"))?;
        std::fs::create_dir_all(dir)?;
        let incoming = self
            .root
            .join("incoming")
            .join(format!("{hash}.{}", rand::random::<u64>()));
        self.syncs.unsynced().insert(hash, u64::MAX);
        let written = (|| {
            let mut file = std::fs::File::create(&incoming)?;
            file.write_all(bytes)?;
            let mut permissions = file.metadata()?.permissions();
            permissions.set_readonly(true);
            file.set_permissions(permissions)?;
            std::fs::rename(&incoming, &path)
        })();
        if let Err(err) = written {
            let _ = std::fs::remove_file(&incoming);
            return Err(err);
        }
        let ticket = self.syncs.ticket();
        self.syncs.unsynced().insert(hash, ticket);
        Ok((hash, Some(ticket)))
    }

    /// Returns once a sync that started after `ticket` was taken has finished.
    async fn settle(&self, ticket: u64) -> io::Result<()> {
        let mut synced = self.syncs.synced.lock().await;
        if *synced >= ticket {
            return Ok(());
        }
        let covers = self.syncs.tickets.load(Ordering::SeqCst);
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || sync_file_system(&root))
            .await
            .map_err(io::Error::other)??;
        *synced = covers;
        self.syncs.rounds.fetch_add(1, Ordering::Relaxed);
        self.syncs.unsynced().retain(|_, t| *t > covers);
        Ok(())
    }

    /// An object's bytes, checked against its hash.
    pub async fn get(&self, hash: ObjectHash) -> Result<Vec<u8>, ReadError> {
        let path = self.path_of(&hash);
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing),
            Err(err) => return Err(err.into()),
        };
        let checked = tokio::task::spawn_blocking(move || {
            let genuine = ObjectHash::of(&bytes) == hash;
            (bytes, genuine)
        })
        .await
        .map_err(io::Error::other)?;
        match checked {
            (bytes, true) => Ok(bytes),
            (_, false) => Err(ReadError::Tampered(hash)),
        }
    }

    /// Whether an object is kept.
    pub async fn has(&self, hash: ObjectHash) -> bool {
        tokio::fs::try_exists(self.path_of(&hash))
            .await
            .unwrap_or(false)
    }

    /// Lets an object go (nothing keeps it any more); one already gone is no error.
    pub async fn remove(&self, hash: ObjectHash) -> io::Result<()> {
        match tokio::fs::remove_file(self.path_of(&hash)).await {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

/// Writes everything of the file system `path` is on to disk: the files put in place and
/// the folders that name them.
#[cfg(target_os = "linux")]
fn sync_file_system(path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let folder = std::fs::File::open(path)?;
    // SAFETY: `syncfs` only reads the descriptor, which `folder` keeps open for the call.
    #[allow(unsafe_code)]
    let done = unsafe { libc::syncfs(folder.as_raw_fd()) };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere, the whole system's sync (POSIX has no per-file-system one).
#[cfg(not(target_os = "linux"))]
fn sync_file_system(_path: &Path) -> io::Result<()> {
    // SAFETY: `sync` takes no arguments and cannot fail.
    #[allow(unsafe_code)]
    unsafe {
        libc::sync()
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn hashes_read_back_from_their_text() {
        let hash = ObjectHash::of(b"Subject: hi\r\n\r\nhello\r\n");
        let text = hash.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<ObjectHash>(), Ok(hash));
        assert_eq!("AB".repeat(32).parse::<ObjectHash>(), Err(BadHash));
        assert_eq!("ab".parse::<ObjectHash>(), Err(BadHash));
        assert_eq!("zz".repeat(32).parse::<ObjectHash>(), Err(BadHash));
    }

    #[tokio::test]
    async fn an_object_is_kept_once_read_only_and_checked_on_every_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path()).unwrap();
        let bytes = b"Subject: kept\r\n\r\nbody\r\n".to_vec();
        let hash = store.put(bytes.clone()).await.unwrap();
        assert_eq!(hash, ObjectHash::of(&bytes));
        assert_eq!(store.put(bytes.clone()).await.unwrap(), hash);
        // Read on the way in by whoever keeps them.
        let (again, length) = store
            .put_reading(bytes.clone(), |bytes| bytes.len())
            .await
            .unwrap();
        assert_eq!((again, length), (hash, bytes.len()));
        assert_eq!(store.get(hash).await.unwrap(), bytes);
        assert!(store.has(hash).await);

        let path = store.path_of(&hash);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o222, 0, "a kept file is read-only");
        // Nothing is left half-written.
        assert_eq!(
            std::fs::read_dir(dir.path().join("incoming"))
                .unwrap()
                .count(),
            0
        );

        // Someone changes the file behind the store's back: it is reported, not served.
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        permissions.set_mode(0o644);
        std::fs::set_permissions(&path, permissions).unwrap();
        std::fs::write(&path, b"Subject: forged\r\n\r\nbody\r\n").unwrap();
        assert!(matches!(store.get(hash).await, Err(ReadError::Tampered(h)) if h == hash));

        store.remove(hash).await.unwrap();
        store.remove(hash).await.unwrap();
        assert!(matches!(store.get(hash).await, Err(ReadError::Missing)));
        assert!(!store.has(hash).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn puts_at_once_share_their_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path()).unwrap();
        // Forty different objects and, among them, the same one eight times.
        let puts = (0..48).map(|n| {
            let store = store.clone();
            let bytes = format!("Subject: {}\r\n\r\nbody\r\n", n.min(40)).into_bytes();
            tokio::spawn(async move { (store.put(bytes.clone()).await.unwrap(), bytes) })
        });
        for put in puts.collect::<Vec<_>>() {
            let (hash, bytes) = put.await.unwrap();
            assert_eq!(store.get(hash).await.unwrap(), bytes);
        }
        let rounds = store.syncs.rounds.load(Ordering::Relaxed);
        assert!((1..41).contains(&rounds), "{rounds} syncs for 41 objects");
        assert!(store.syncs.unsynced().is_empty(), "every file was synced");
        assert_eq!(
            std::fs::read_dir(dir.path().join("incoming"))
                .unwrap()
                .count(),
            0
        );
    }
}
