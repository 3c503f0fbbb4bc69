// SPDX-License-Identifier: AGPL-3.0-only
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

fn packs(dir: &Path) -> Vec<PathBuf> {
    let mut packs: Vec<PathBuf> = std::fs::read_dir(dir.join("packs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    packs.sort();
    packs
}

/// Changes a byte of a read-only file the way someone with the rights could.
fn flip_byte(path: &Path, at: u64) {
    let mut permissions = std::fs::metadata(path).unwrap().permissions();
    permissions.set_mode(0o644);
    std::fs::set_permissions(path, permissions).unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .read(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, at).unwrap();
    file.write_all_at(&[byte[0] ^ 0x20], at).unwrap();
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
    assert_eq!(store.count().await.unwrap(), 1);

    let [pack] = packs(dir.path()).try_into().unwrap();
    let mode = std::fs::metadata(&pack).unwrap().permissions().mode();
    assert_eq!(mode & 0o222, 0, "a pack is read-only");
    assert_eq!(
        std::fs::metadata(&pack).unwrap().len(),
        HEADER + bytes.len() as u64,
        "kept once"
    );

    // Someone changes the bytes behind the store's back: it is reported, not served.
    let (path, offset, length) = store.whereabouts(hash).unwrap().unwrap();
    assert_eq!((path, length), (pack, bytes.len() as u64));
    flip_byte(&store.whereabouts(hash).unwrap().unwrap().0, offset + 3);
    assert!(matches!(store.get(hash).await, Err(ReadError::Tampered(h)) if h == hash));

    store.remove(hash).await.unwrap();
    store.remove(hash).await.unwrap();
    assert!(matches!(store.get(hash).await, Err(ReadError::Missing)));
    assert!(!store.has(hash).await);
    assert_eq!(store.count().await.unwrap(), 0);
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
    let rounds = store.inner.rounds.load(Ordering::Relaxed);
    assert!((1..41).contains(&rounds), "{rounds} syncs for 41 objects");
    assert!(
        lock(&store.inner.unsynced).is_empty(),
        "every record was synced"
    );
    assert_eq!(store.count().await.unwrap(), 41);
}

#[tokio::test]
async fn a_run_cut_short_loses_nothing_synced_and_keeps_nothing_torn() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open(dir.path()).unwrap();
    let kept = b"Subject: one\r\n\r\nkept\r\n".to_vec();
    let one = store.put(kept.clone()).await.unwrap();
    // A second record appended, on disk, but its index row never written (the process
    // died between the two), then half of a third.
    let unindexed = b"Subject: two\r\n\r\nnot yet indexed\r\n".to_vec();
    let two = {
        let mut active = lock(&store.inner.active);
        let two = ObjectHash::of(&unindexed);
        store.inner.append(&mut active, &two, &unindexed).unwrap();
        let pack = active.as_ref().unwrap();
        pack.file.write_all_at(&MAGIC, pack.end).unwrap();
        pack.file.write_all_at(&[9; 20], pack.end + 8).unwrap();
        two
    };
    drop(store);

    let store = ContentStore::open(dir.path()).unwrap();
    assert_eq!(store.get(one).await.unwrap(), kept);
    assert_eq!(store.get(two).await.unwrap(), unindexed);
    assert_eq!(store.count().await.unwrap(), 2);
    // This run appends to a pack of its own; the torn pack is never written again.
    let three = store.put(b"Subject: three\r\n\r\n".to_vec()).await.unwrap();
    assert_eq!(packs(dir.path()).len(), 2);
    assert_eq!(
        store.whereabouts(three).unwrap().unwrap().0,
        packs(dir.path())[1]
    );
    drop(store);
    assert_eq!(
        ContentStore::open(dir.path())
            .unwrap()
            .count()
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn mostly_dead_packs_are_rewritten_with_their_live_objects_only() {
    let dir = tempfile::tempdir().unwrap();
    let first = ContentStore::open(dir.path()).unwrap();
    let mut hashes = Vec::new();
    for n in 0..10 {
        let bytes = format!("Subject: {n}\r\n\r\n{}\r\n", "x".repeat(100)).into_bytes();
        hashes.push((first.put(bytes.clone()).await.unwrap(), bytes));
    }
    drop(first);
    let store = ContentStore::open(dir.path()).unwrap();
    // Four of ten let go: the pack is not mostly dead yet.
    for (hash, _) in &hashes[..4] {
        store.remove(*hash).await.unwrap();
    }
    assert_eq!(store.compact().await.unwrap(), 0);
    assert_eq!(packs(dir.path()).len(), 1);
    for (hash, _) in &hashes[4..7] {
        store.remove(*hash).await.unwrap();
    }
    let old = packs(dir.path());
    assert!(store.compact().await.unwrap() > 0);
    let now = packs(dir.path());
    assert_eq!(now.len(), 1);
    assert_ne!(
        now, old,
        "the old pack is gone, the live objects in a new one"
    );
    for (hash, bytes) in &hashes[7..] {
        assert_eq!(&store.get(*hash).await.unwrap(), bytes);
    }
    for (hash, _) in &hashes[..7] {
        assert!(!store.has(*hash).await);
    }
    drop(store);
    let again = ContentStore::open(dir.path()).unwrap();
    assert_eq!(again.count().await.unwrap(), 3);
    for (hash, bytes) in &hashes[7..] {
        assert_eq!(&again.get(*hash).await.unwrap(), bytes);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pack_is_synced_and_the_next_one_started() {
    let dir = tempfile::tempdir().unwrap();
    let store = ContentStore::open_with(dir.path(), 400).unwrap();
    let puts = (0..12).map(|n| {
        let store = store.clone();
        let bytes = format!("Subject: {n}\r\n\r\n{}\r\n", "y".repeat(100)).into_bytes();
        tokio::spawn(async move { (store.put(bytes.clone()).await.unwrap(), bytes) })
    });
    let mut kept = Vec::new();
    for put in puts.collect::<Vec<_>>() {
        kept.push(put.await.unwrap());
    }
    let made = packs(dir.path());
    assert!(made.len() >= 4, "{} packs", made.len());
    for pack in &made {
        assert!(std::fs::metadata(pack).unwrap().len() <= 400);
    }
    drop(store);
    let store = ContentStore::open(dir.path()).unwrap();
    assert_eq!(store.count().await.unwrap(), 12);
    for (hash, bytes) in kept {
        assert_eq!(store.get(hash).await.unwrap(), bytes);
    }
}

#[tokio::test]
async fn a_rewritten_pack_left_on_disk_by_a_crash_brings_nothing_back() {
    let dir = tempfile::tempdir().unwrap();
    let first = ContentStore::open(dir.path()).unwrap();
    let mut hashes = Vec::new();
    for n in 0..4 {
        hashes.push(
            first
                .put(format!("Subject: {n}\r\n\r\n").into_bytes())
                .await
                .unwrap(),
        );
    }
    drop(first);
    let store = ContentStore::open(dir.path()).unwrap();
    for hash in &hashes[..3] {
        store.remove(*hash).await.unwrap();
    }
    let [old] = packs(dir.path()).try_into().unwrap();
    let saved = std::fs::read(&old).unwrap();
    assert!(store.compact().await.unwrap() > 0);
    // The crash came after the index moved the live object and marked the old pack all
    // dead, before its file was deleted.
    std::fs::write(&old, &saved).unwrap();
    lock(&store.inner.index)
        .execute(
            "INSERT INTO packs (id, indexed_end, dead) VALUES (1, ?1, ?1)",
            [saved.len() as i64],
        )
        .unwrap();
    drop(store);

    let store = ContentStore::open(dir.path()).unwrap();
    assert_eq!(store.count().await.unwrap(), 1, "nothing let go comes back");
    for hash in &hashes[..3] {
        assert!(!store.has(*hash).await);
    }
    store.compact().await.unwrap();
    assert!(!old.exists());
    assert_eq!(store.get(hashes[3]).await.unwrap(), b"Subject: 3\r\n\r\n");
}

#[tokio::test]
async fn files_kept_one_each_move_into_a_pack() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = b"Subject: from before packs\r\n\r\nbody\r\n".to_vec();
    let hash = ObjectHash::of(&bytes);
    let name = hash.to_string();
    let folder = dir.path().join(&name[..2]).join(&name[2..4]);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(&name), &bytes).unwrap();
    // One whose bytes no longer match its name stays, unserved.
    let forged = ObjectHash::of(b"the original");
    let forged_name = forged.to_string();
    let forged_folder = dir.path().join(&forged_name[..2]).join(&forged_name[2..4]);
    std::fs::create_dir_all(&forged_folder).unwrap();
    std::fs::write(forged_folder.join(&forged_name), b"something else").unwrap();
    std::fs::create_dir_all(dir.path().join("incoming")).unwrap();

    let store = ContentStore::open(dir.path()).unwrap();
    assert_eq!(store.get(hash).await.unwrap(), bytes);
    assert!(!folder.join(&name).exists());
    assert!(!dir.path().join(&name[..2]).exists() || name[..2] == forged_name[..2]);
    assert!(!dir.path().join("incoming").exists());
    assert!(forged_folder.join(&forged_name).exists());
    assert!(matches!(store.get(forged).await, Err(ReadError::Missing)));
}
