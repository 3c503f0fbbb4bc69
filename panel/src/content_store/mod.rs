// SPDX-License-Identifier: AGPL-3.0-only
//! The content store: kept messages' bytes, each kept once by its BLAKE3 hash, so the same
//! message kept by many snapshots (and archives) is stored once. Its hash is checked on every
//! read: changed bytes are reported, never served as genuine.
//!
//! Objects are appended to pack files (`packs/<n>.pack`), each record a header (a magic
//! number, the length, the hash) and the bytes. A pack is read-only from the moment it is
//! created (its writer holds the one descriptor that may write) and only ever grows while
//! the run that made it lasts; the next run starts a new one. An index (`index.sqlite3`)
//! says where each object is. The index follows the packs: a record is indexed only once it
//! is on disk, and at open the records past what the index has seen are read back, checked
//! and indexed, so a crash at any point loses neither bytes nor their place.
//!
//! One file per object would cost a new inode and a sync of the whole file system per
//! message (ext4 searches its inode tables for a free inode, and more slowly after many
//! deletions); a pack costs an append and a data sync of one file, shared by every put that
//! finished its append meanwhile (a group commit).
//!
//! Objects nothing keeps any more are dropped from the index; their bytes stay in their pack
//! as dead weight until more than half a pack is dead, when its live records are copied into
//! the current pack and the old one is deleted ([`ContentStore::compact`]).
//!
//! Stores written before packs (one read-only file per object under `ab/cd/<hash>`) are
//! moved into packs at open.

use std::{
    collections::HashMap,
    fmt,
    fs::File,
    io,
    os::unix::fs::{FileExt, OpenOptionsExt},
    path::{Path, PathBuf},
    str::FromStr,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use rusqlite::{Connection, OptionalExtension, params};

mod upkeep;

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
    /// The stored bytes no longer hash to the object's name.
    #[error("object {0} was changed on disk")]
    Tampered(ObjectHash),
    #[error("content store: {0}")]
    Io(#[from] io::Error),
}

/// A record's header: the magic number, the bytes' length (little-endian), their hash.
const MAGIC: [u8; 8] = *b"CSLPACK1";
const HEADER: u64 = 8 + 8 + 32;

/// A pack takes no new record past this size (one record may be larger on its own).
const PACK_LIMIT: u64 = 256 << 20;

/// Where an object's bytes are: its pack, and the offset and length of the bytes (the
/// header is just before them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Location {
    pack: u64,
    offset: u64,
    length: u64,
}

/// A put whose bytes may not be on disk yet (see [`ContentStore::put_unsettled`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsettled(Option<u64>);

/// The content store in a folder of its own. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ContentStore {
    inner: Arc<Inner>,
    /// Writers that are about to refer to an object (its bytes kept, then its row) hold it
    /// shared; the collection of objects nothing refers to holds it alone, so it never
    /// takes an object a row is being written for.
    collecting: Arc<tokio::sync::RwLock<()>>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    /// A pack takes no new record past this size ([`PACK_LIMIT`] but in tests).
    pack_limit: u64,
    index: Mutex<Connection>,
    /// The pack this run appends to, once it has written anything.
    active: Mutex<Option<Active>>,
    /// Objects appended since the sync that last finished, with their tickets and places:
    /// not yet in the index.
    unsynced: Mutex<HashMap<ObjectHash, Pending>>,
    /// The last ticket taken.
    tickets: AtomicU64,
    /// The last ticket the syncs so far covered; held while a sync runs, so that puts that
    /// finish meanwhile wait for, and share, the next one.
    synced: tokio::sync::Mutex<u64>,
    /// Syncs run so far.
    rounds: AtomicU64,
    /// A data sync failed: what it should have put on disk may be lost (Linux reports a
    /// failed writeback once and then forgets it), so no put is confirmed any more until a
    /// restart reads the packs back.
    failed: std::sync::atomic::AtomicBool,
}

#[derive(Debug)]
struct Active {
    id: u64,
    file: File,
    /// Where the next record goes.
    end: u64,
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    ticket: u64,
    at: Location,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn db_error(err: rusqlite::Error) -> io::Error {
    io::Error::other(format!("content store index: {err}"))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl ContentStore {
    /// The store in `root`, made when missing. Records an earlier run appended but did not
    /// index are checked and indexed; objects kept one file each are moved into a pack.
    pub fn open(root: &Path) -> io::Result<ContentStore> {
        ContentStore::open_with(root, PACK_LIMIT)
    }

    fn open_with(root: &Path, pack_limit: u64) -> io::Result<ContentStore> {
        std::fs::create_dir_all(root.join("packs"))?;
        File::open(root)?.sync_all()?;
        let index = Connection::open(root.join("index.sqlite3")).map_err(db_error)?;
        index
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 CREATE TABLE IF NOT EXISTS objects (
                     hash BLOB PRIMARY KEY,
                     pack INTEGER NOT NULL,
                     offset INTEGER NOT NULL,
                     length INTEGER NOT NULL
                 ) WITHOUT ROWID;
                 CREATE INDEX IF NOT EXISTS objects_by_pack ON objects (pack);
                 CREATE TABLE IF NOT EXISTS packs (
                     id INTEGER PRIMARY KEY,
                     indexed_end INTEGER NOT NULL DEFAULT 0,
                     dead INTEGER NOT NULL DEFAULT 0
                 );",
            )
            .map_err(db_error)?;
        let store = ContentStore {
            inner: Arc::new(Inner {
                root: root.to_path_buf(),
                pack_limit,
                index: Mutex::new(index),
                active: Mutex::default(),
                unsynced: Mutex::default(),
                tickets: AtomicU64::default(),
                synced: tokio::sync::Mutex::default(),
                rounds: AtomicU64::default(),
                failed: Default::default(),
            }),
            collecting: Arc::default(),
        };
        store.inner.recover()?;
        store.inner.take_in_loose_files()?;
        Ok(store)
    }

    /// Held while objects are kept and the rows that refer to them written.
    pub async fn writing(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.collecting.read().await
    }

    /// Held while objects nothing refers to are found and removed.
    pub async fn collecting(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.collecting.write().await
    }

    /// Keeps these bytes; their hash, once they are on disk. Bytes already kept are not
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
        let (hash, read, unsettled) = self.put_unsettled(bytes, read).await?;
        self.settle_all([unsettled]).await?;
        Ok((hash, read))
    }

    /// Writes these bytes as [`put_reading`](Self::put_reading) does, without waiting for
    /// them to reach the disk: [`settle_all`](Self::settle_all) waits, for many puts at once
    /// (one sync for a batch of them, where each put would have had one of its own).
    pub async fn put_unsettled<T: Send + 'static>(
        &self,
        bytes: Vec<u8>,
        read: impl FnOnce(&[u8]) -> T + Send + 'static,
    ) -> io::Result<(ObjectHash, T, Unsettled)> {
        let inner = self.inner.clone();
        let (written, read) = tokio::task::spawn_blocking(move || {
            let read = read(&bytes);
            (inner.write(&bytes), read)
        })
        .await
        .map_err(io::Error::other)?;
        let (hash, ticket) = written?;
        Ok((hash, read, Unsettled(ticket)))
    }

    /// Returns once the bytes of every one of these puts are on disk.
    pub async fn settle_all(&self, puts: impl IntoIterator<Item = Unsettled>) -> io::Result<()> {
        match puts.into_iter().filter_map(|put| put.0).max() {
            Some(ticket) => self.settle(ticket).await,
            None => Ok(()),
        }
    }

    /// Returns once a sync that started after `ticket` was taken has finished.
    async fn settle(&self, ticket: u64) -> io::Result<()> {
        let mut synced = self.inner.synced.lock().await;
        if *synced >= ticket {
            return Ok(());
        }
        let inner = self.inner.clone();
        *synced = tokio::task::spawn_blocking(move || inner.sync())
            .await
            .map_err(io::Error::other)??;
        Ok(())
    }

    /// An object's bytes, checked against its hash.
    pub async fn get(&self, hash: ObjectHash) -> Result<Vec<u8>, ReadError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.read(hash))
            .await
            .map_err(io::Error::other)?
    }

    /// Whether an object is kept.
    pub async fn has(&self, hash: ObjectHash) -> bool {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.locate(&hash).ok().flatten().is_some())
            .await
            .unwrap_or(false)
    }

    /// Lets an object go (nothing keeps it any more); one already gone is no error. Its
    /// bytes stay in their pack until [`compact`](Self::compact) finds the pack mostly dead.
    pub async fn remove(&self, hash: ObjectHash) -> io::Result<()> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.forget(&hash))
            .await
            .map_err(io::Error::other)?
    }

    /// Rewrites the packs more than half of whose bytes are objects let go: their live
    /// records are copied into the current pack, the index moved to the copies, and the old
    /// pack deleted. Run while [`collecting`](Self::collecting) is held. Returns the bytes
    /// given back to the disk.
    pub async fn compact(&self) -> io::Result<u64> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.compact())
            .await
            .map_err(io::Error::other)?
    }

    /// How many objects are kept.
    pub async fn count(&self) -> io::Result<u64> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let index = lock(&inner.index);
            let indexed: i64 = index
                .query_row("SELECT count(*) FROM objects", [], |row| row.get(0))
                .map_err(db_error)?;
            Ok(to_u64(indexed) + lock(&inner.unsynced).len() as u64)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Where an object's bytes are on disk: the pack's path and the bytes' offset and
    /// length in it (for an operator's tools, and for tests that tamper with them).
    pub fn whereabouts(&self, hash: ObjectHash) -> io::Result<Option<(PathBuf, u64, u64)>> {
        Ok(self
            .inner
            .locate(&hash)?
            .map(|at| (self.inner.pack_path(at.pack), at.offset, at.length)))
    }
}

impl Inner {
    fn pack_path(&self, id: u64) -> PathBuf {
        self.root.join("packs").join(format!("{id:08}.pack"))
    }

    /// The error every put gets once a data sync has failed.
    fn check_healthy(&self) -> io::Result<()> {
        match self.failed.load(Ordering::SeqCst) {
            true => Err(io::Error::other(
                "a data sync of the content store failed; nothing is kept until a restart",
            )),
            false => Ok(()),
        }
    }

    /// Syncs a pack's data; a failure stops every later put (see [`Inner::failed`]).
    fn sync_pack(&self, file: &File) -> io::Result<()> {
        file.sync_data().inspect_err(|err| {
            self.failed.store(true, Ordering::SeqCst);
            tracing::error!(%err, "content store: a data sync failed; puts stop until a restart");
        })
    }

    fn ticket(&self) -> u64 {
        self.tickets.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Where the index (or a put not yet synced) says an object is.
    fn locate(&self, hash: &ObjectHash) -> io::Result<Option<Location>> {
        if let Some(pending) = lock(&self.unsynced).get(hash) {
            return Ok(Some(pending.at));
        }
        self.indexed(hash)
    }

    /// Where the index says an object is.
    fn indexed(&self, hash: &ObjectHash) -> io::Result<Option<Location>> {
        lock(&self.index)
            .query_row(
                "SELECT pack, offset, length FROM objects WHERE hash = ?1",
                [&hash.0[..]],
                |row| {
                    Ok(Location {
                        pack: to_u64(row.get(0)?),
                        offset: to_u64(row.get(1)?),
                        length: to_u64(row.get(2)?),
                    })
                },
            )
            .optional()
            .map_err(db_error)
    }

    /// Appends the bytes unless they are kept already; their hash and, unless they are
    /// known to be on disk, the ticket a sync must cover.
    fn write(&self, bytes: &[u8]) -> io::Result<(ObjectHash, Option<u64>)> {
        self.check_healthy()?;
        let hash = ObjectHash::of(bytes);
        if lock(&self.unsynced).contains_key(&hash) {
            // Appended by another put whose sync may still be ahead: a sync that starts from
            // now on covers it.
            return Ok((hash, Some(self.ticket())));
        }
        // Only an indexed record is known to be on disk (one in `unsynced` may not be).
        if self.indexed(&hash)?.is_some() {
            return Ok((hash, None));
        }
        let mut active = lock(&self.active);
        if lock(&self.unsynced).contains_key(&hash) {
            return Ok((hash, Some(self.ticket())));
        }
        let at = self.append(&mut active, &hash, bytes)?;
        // The ticket and the entry at once: a sync that covers the ticket finds the entry.
        let mut unsynced = lock(&self.unsynced);
        let ticket = self.ticket();
        unsynced.insert(hash, Pending { ticket, at });
        Ok((hash, Some(ticket)))
    }

    /// Appends one record to this run's pack (started, or the full one synced and a new one
    /// started, as needed); where its bytes are.
    fn append(
        &self,
        active: &mut Option<Active>,
        hash: &ObjectHash,
        bytes: &[u8],
    ) -> io::Result<Location> {
        let length = bytes.len() as u64;
        let full = active
            .as_ref()
            .is_some_and(|pack| pack.end > 0 && pack.end + HEADER + length > self.pack_limit);
        if full && let Some(pack) = active.take() {
            // Everything appended to it is on disk before any record goes elsewhere, so a
            // sync of the next pack covers every ticket taken so far.
            self.sync_pack(&pack.file)?;
        }
        if active.is_none() {
            *active = Some(self.start_pack()?);
        }
        let pack = active.as_mut().ok_or_else(|| io::Error::other("no pack"))?;
        let mut header = [0u8; HEADER as usize];
        header[..8].copy_from_slice(&MAGIC);
        header[8..16].copy_from_slice(&length.to_le_bytes());
        header[16..].copy_from_slice(&hash.0);
        // Written at the pack's end by offset: a failed write leaves nothing the next one
        // does not overwrite, and the reader at open stops at anything that does not check.
        pack.file.write_all_at(&header, pack.end)?;
        pack.file.write_all_at(bytes, pack.end + HEADER)?;
        let at = Location {
            pack: pack.id,
            offset: pack.end + HEADER,
            length,
        };
        pack.end += HEADER + length;
        Ok(at)
    }

    /// A new pack: the next number, its row in the index, a file read-only from its creation
    /// (this descriptor is the only one that may write it) and its name on disk.
    fn start_pack(&self) -> io::Result<Active> {
        let index = lock(&self.index);
        let last: Option<i64> = index
            .query_row("SELECT max(id) FROM packs", [], |row| row.get(0))
            .map_err(db_error)?;
        let id = to_u64(last.unwrap_or(0)) + 1;
        // The row first: a file that could not be made leaves a row the next pack's number
        // passes over (and the next compaction clears).
        index
            .execute("INSERT INTO packs (id) VALUES (?1)", [to_i64(id)])
            .map_err(db_error)?;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(self.pack_path(id))?;
        File::open(self.root.join("packs"))?.sync_all()?;
        Ok(Active { id, file, end: 0 })
    }

    /// Puts every record appended so far on disk and into the index; the last ticket it
    /// covers.
    fn sync(&self) -> io::Result<u64> {
        self.check_healthy()?;
        // Read with the entries locked: every ticket up to it has its entry, and its record
        // was appended before the ticket was taken.
        let covers = {
            let _entries = lock(&self.unsynced);
            self.tickets.load(Ordering::SeqCst)
        };
        let file = lock(&self.active)
            .as_ref()
            .map(|pack| pack.file.try_clone())
            .transpose()?;
        if let Some(file) = file {
            self.sync_pack(&file)?;
        }
        self.rounds.fetch_add(1, Ordering::Relaxed);
        let settled: Vec<(ObjectHash, Location)> = lock(&self.unsynced)
            .iter()
            .filter(|(_, pending)| pending.ticket <= covers)
            .map(|(hash, pending)| (*hash, pending.at))
            .collect();
        if settled.is_empty() {
            return Ok(covers);
        }
        self.index_records(&settled)?;
        let mut unsynced = lock(&self.unsynced);
        for (hash, _) in &settled {
            unsynced.remove(hash);
        }
        Ok(covers)
    }

    /// Indexes records that are on disk, in one transaction, and moves their packs' indexed
    /// end past them. A hash indexed already keeps its place (this copy is dead weight).
    fn index_records(&self, records: &[(ObjectHash, Location)]) -> io::Result<()> {
        let mut index = lock(&self.index);
        let txn = index.transaction().map_err(db_error)?;
        {
            let mut insert = txn
                .prepare_cached(
                    "INSERT OR IGNORE INTO objects (hash, pack, offset, length)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_error)?;
            let mut dead = txn
                .prepare_cached("UPDATE packs SET dead = dead + ?2 WHERE id = ?1")
                .map_err(db_error)?;
            let mut end = txn
                .prepare_cached("UPDATE packs SET indexed_end = max(indexed_end, ?2) WHERE id = ?1")
                .map_err(db_error)?;
            for (hash, at) in records {
                let (pack, offset, length) =
                    (to_i64(at.pack), to_i64(at.offset), to_i64(at.length));
                let added = insert
                    .execute(params![&hash.0[..], pack, offset, length])
                    .map_err(db_error)?;
                if added == 0 {
                    dead.execute(params![pack, to_i64(HEADER) + length])
                        .map_err(db_error)?;
                }
                end.execute(params![pack, offset + length])
                    .map_err(db_error)?;
            }
        }
        txn.commit().map_err(db_error)
    }

    /// An object's bytes, checked against its header and its hash.
    fn read(&self, hash: ObjectHash) -> Result<Vec<u8>, ReadError> {
        let mut at = self.locate(&hash)?.ok_or(ReadError::Missing)?;
        let file = match File::open(self.pack_path(at.pack)) {
            Ok(file) => file,
            // Its pack was rewritten between the lookup and the open: once more, where the
            // index now says it is.
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let moved = self.locate(&hash)?.filter(|again| *again != at);
                at = moved.ok_or(ReadError::Missing)?;
                match File::open(self.pack_path(at.pack)) {
                    Ok(file) => file,
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {
                        return Err(ReadError::Missing);
                    }
                    Err(err) => return Err(err.into()),
                }
            }
            Err(err) => return Err(err.into()),
        };
        let start = at
            .offset
            .checked_sub(HEADER)
            .ok_or(ReadError::Tampered(hash))?;
        let (stored, bytes) = read_record(&file, start)?.ok_or(ReadError::Tampered(hash))?;
        if stored != hash || bytes.len() as u64 != at.length || ObjectHash::of(&bytes) != hash {
            return Err(ReadError::Tampered(hash));
        }
        Ok(bytes)
    }

    /// Drops an object from the index and counts its record as dead in its pack.
    fn forget(&self, hash: &ObjectHash) -> io::Result<()> {
        let mut index = lock(&self.index);
        let txn = index.transaction().map_err(db_error)?;
        let gone: Option<(i64, i64)> = txn
            .query_row(
                "DELETE FROM objects WHERE hash = ?1 RETURNING pack, length",
                [&hash.0[..]],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(db_error)?;
        if let Some((pack, length)) = gone {
            txn.execute(
                "UPDATE packs SET dead = dead + ?2 WHERE id = ?1",
                params![pack, to_i64(HEADER) + length],
            )
            .map_err(db_error)?;
        }
        txn.commit().map_err(db_error)
    }
}

/// The record at `at`: its hash and bytes, or nothing if its header does not check or the
/// file ends inside it.
fn read_record(file: &File, at: u64) -> io::Result<Option<(ObjectHash, Vec<u8>)>> {
    let mut header = [0u8; HEADER as usize];
    if let Err(err) = file.read_exact_at(&mut header, at) {
        return if err.kind() == io::ErrorKind::UnexpectedEof {
            Ok(None)
        } else {
            Err(err)
        };
    }
    if header[..8] != MAGIC {
        return Ok(None);
    }
    let mut length = [0u8; 8];
    length.copy_from_slice(&header[8..16]);
    let length = u64::from_le_bytes(length);
    let size = file.metadata()?.len();
    let end = at
        .checked_add(HEADER)
        .and_then(|start| start.checked_add(length));
    if end.is_none_or(|end| end > size) {
        return Ok(None);
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&header[16..]);
    let mut bytes = vec![0u8; usize::try_from(length).map_err(io::Error::other)?];
    file.read_exact_at(&mut bytes, at + HEADER)?;
    Ok(Some((ObjectHash(hash), bytes)))
}

#[cfg(test)]
mod tests;
