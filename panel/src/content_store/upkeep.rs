// SPDX-License-Identifier: AGPL-3.0-only
//! The store's upkeep: packs mostly let go rewritten, what a crash left unindexed read back,
//! and stores of one file per object moved into packs.

use super::*;

impl Inner {
    pub(super) fn compact(&self) -> io::Result<u64> {
        // What was appended is indexed first: only indexed records are moved, and a pack
        // that still has records waiting for their index is left for the next time.
        self.sync()?;
        let current = lock(&self.active).as_ref().map(|pack| to_i64(pack.id));
        let waiting: Vec<u64> = lock(&self.unsynced)
            .values()
            .map(|pending| pending.at.pack)
            .collect();
        let mostly_dead: Vec<i64> = {
            let index = lock(&self.index);
            let mut query = index
                .prepare(
                    "SELECT id FROM packs
                     WHERE (dead * 2 > indexed_end OR indexed_end = 0) AND id IS NOT ?1",
                )
                .map_err(db_error)?;
            let rows = query
                .query_map([current], |row| row.get(0))
                .map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)?
        };
        let mut freed = 0;
        for pack in mostly_dead.into_iter().map(to_u64) {
            if waiting.contains(&pack) {
                continue;
            }
            match self.rewrite_pack(pack) {
                Ok(size) => freed += size,
                // Kept as it is (a record that no longer checks is never copied as genuine).
                Err(err) => tracing::warn!(pack, %err, "content store: pack not compacted"),
            }
        }
        Ok(freed)
    }

    /// Copies a pack's live records into this run's pack, points the index at the copies
    /// (durably, before anything is deleted), and deletes the pack; its size.
    fn rewrite_pack(&self, pack: u64) -> io::Result<u64> {
        let live: Vec<(ObjectHash, Location)> = {
            let index = lock(&self.index);
            let mut query = index
                .prepare("SELECT hash, offset, length FROM objects WHERE pack = ?1")
                .map_err(db_error)?;
            let rows = query
                .query_map([to_i64(pack)], |row| {
                    let hash: Vec<u8> = row.get(0)?;
                    Ok((
                        hash,
                        Location {
                            pack,
                            offset: to_u64(row.get(1)?),
                            length: to_u64(row.get(2)?),
                        },
                    ))
                })
                .map_err(db_error)?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?
                .into_iter()
                .filter_map(|(hash, at)| Some((ObjectHash(hash.try_into().ok()?), at)))
                .collect()
        };
        let path = self.pack_path(pack);
        let size = match std::fs::metadata(&path) {
            Ok(metadata) => metadata.len(),
            Err(err) if err.kind() == io::ErrorKind::NotFound => 0,
            Err(err) => return Err(err),
        };
        let mut moved = Vec::with_capacity(live.len());
        if !live.is_empty() {
            let file = File::open(&path)?;
            let checked = |hash: &ObjectHash, at: &Location| -> io::Result<Vec<u8>> {
                let record = match at.offset.checked_sub(HEADER) {
                    Some(start) => read_record(&file, start)?,
                    None => None,
                };
                match record {
                    Some((stored, bytes)) if stored == *hash && ObjectHash::of(&bytes) == *hash => {
                        Ok(bytes)
                    }
                    _ => Err(io::Error::other(format!(
                        "object {hash} was changed on disk"
                    ))),
                }
            };
            // Every record checked before any is copied: a pack that holds a changed one
            // stays as it is, with nothing copied out of it.
            for (hash, at) in &live {
                checked(hash, at)?;
            }
            // Copies a failure leaves behind are past their pack's indexed end: the next
            // open reads them back and counts them as dead.
            let mut active = lock(&self.active);
            for (hash, at) in &live {
                let bytes = checked(hash, at)?;
                moved.push((*hash, self.append(&mut active, hash, &bytes)?));
            }
            if let Some(current) = active.as_ref() {
                self.sync_pack(&current.file)?;
            }
        }
        // A record of the current pack still waiting for its index stays past the end.
        let waiting: HashMap<u64, u64> =
            lock(&self.unsynced)
                .values()
                .fold(HashMap::new(), |mut first, pending| {
                    let start = pending.at.offset.saturating_sub(HEADER);
                    first
                        .entry(pending.at.pack)
                        .and_modify(|s: &mut u64| *s = (*s).min(start))
                        .or_insert(start);
                    first
                });
        {
            let mut index = lock(&self.index);
            // This one change must be on disk before the old pack goes.
            index
                .pragma_update(None, "synchronous", "FULL")
                .map_err(db_error)?;
            let done = (|| {
                let txn = index.transaction()?;
                for (hash, at) in &moved {
                    txn.execute(
                        "UPDATE objects SET pack = ?2, offset = ?3 WHERE hash = ?1",
                        params![&hash.0[..], to_i64(at.pack), to_i64(at.offset)],
                    )?;
                    let end =
                        (at.offset + at.length).min(*waiting.get(&at.pack).unwrap_or(&u64::MAX));
                    txn.execute(
                        "UPDATE packs SET indexed_end = max(indexed_end, ?2) WHERE id = ?1",
                        params![to_i64(at.pack), to_i64(end)],
                    )?;
                }
                // Kept, all dead and wholly seen, until its file is gone: a crash before the
                // file is deleted leaves a pack the next open does not read back (its
                // objects were let go) and the next compaction deletes.
                txn.execute(
                    "UPDATE packs SET indexed_end = ?2, dead = ?2 WHERE id = ?1",
                    params![to_i64(pack), to_i64(size)],
                )?;
                txn.commit()
            })();
            index
                .pragma_update(None, "synchronous", "NORMAL")
                .map_err(db_error)?;
            done.map_err(db_error)?;
        }
        match std::fs::remove_file(&path) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
        lock(&self.index)
            .execute("DELETE FROM packs WHERE id = ?1", [to_i64(pack)])
            .map_err(db_error)?;
        Ok(size)
    }

    /// Indexes what packs hold past what the index has seen (the records of a run that
    /// ended before its last sync was indexed), each record checked and the pack synced
    /// first; stops in a pack at the first record that does not check (an append a crash
    /// cut short).
    pub(super) fn recover(&self) -> io::Result<()> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(self.root.join("packs"))? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|name| name.strip_suffix(".pack"))
                .and_then(|id| id.parse::<u64>().ok())
            else {
                continue;
            };
            found.push((id, entry.metadata()?.len()));
        }
        found.sort_unstable();
        for (id, size) in found {
            let seen: Option<i64> = {
                let index = lock(&self.index);
                index
                    .execute("INSERT OR IGNORE INTO packs (id) VALUES (?1)", [to_i64(id)])
                    .map_err(db_error)?;
                index
                    .query_row(
                        "SELECT indexed_end FROM packs WHERE id = ?1",
                        [to_i64(id)],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(db_error)?
            };
            let mut at = to_u64(seen.unwrap_or(0));
            if at >= size {
                continue;
            }
            let file = File::open(self.pack_path(id))?;
            let mut records = Vec::new();
            while at + HEADER <= size {
                let Some((hash, bytes)) = read_record(&file, at)? else {
                    break;
                };
                if ObjectHash::of(&bytes) != hash {
                    break;
                }
                let length = bytes.len() as u64;
                records.push((
                    hash,
                    Location {
                        pack: id,
                        offset: at + HEADER,
                        length,
                    },
                ));
                at += HEADER + length;
            }
            if !records.is_empty() {
                // A run that ended before its sync may have left them in memory only: on
                // disk first, as a put's records are before they are indexed.
                file.sync_data()?;
                tracing::info!(pack = id, records = records.len(), "content store: indexed");
                self.index_records(&records)?;
            }
        }
        Ok(())
    }

    /// Moves objects kept one file each (`ab/cd/<hash>`, as stores before packs kept them)
    /// into a pack: each file checked against its name, appended, synced and indexed, then
    /// deleted. A file that does not check stays where it is, reported.
    pub(super) fn take_in_loose_files(&self) -> io::Result<()> {
        let mut moved = 0u64;
        for first in std::fs::read_dir(&self.root)? {
            let first = first?.path();
            if !is_fan_out(&first) {
                continue;
            }
            for second in std::fs::read_dir(&first)? {
                let second = second?.path();
                if !is_fan_out(&second) {
                    continue;
                }
                let mut files = Vec::new();
                for file in std::fs::read_dir(&second)? {
                    let path = file?.path();
                    let named = path
                        .file_name()
                        .and_then(|name| name.to_str())
                        .and_then(|name| name.parse::<ObjectHash>().ok());
                    if let Some(hash) = named {
                        files.push((hash, path));
                    }
                }
                for (hash, path) in files {
                    let bytes = std::fs::read(&path)?;
                    if ObjectHash::of(&bytes) != hash {
                        tracing::error!(%hash, "content store: a kept file was changed on disk");
                        continue;
                    }
                    self.write(&bytes)?;
                    self.sync()?;
                    std::fs::remove_file(&path)?;
                    moved += 1;
                }
                let _ = std::fs::remove_dir(&second);
            }
            let _ = std::fs::remove_dir(&first);
        }
        // The folder files were written in before they were renamed into place.
        let _ = std::fs::remove_dir_all(self.root.join("incoming"));
        if moved > 0 {
            tracing::info!(
                objects = moved,
                "content store: moved kept files into a pack"
            );
        }
        Ok(())
    }
}

/// Whether a path is one of the two-hex-digit folders of the one-file-per-object layout.
fn is_fan_out(path: &Path) -> bool {
    path.is_dir()
        && path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| {
                name.len() == 2 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
}
