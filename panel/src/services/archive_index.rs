// SPDX-License-Identifier: AGPL-3.0-only
//! The archive's text index (FTS5 on SQLite, `tsvector`s on PostgreSQL).
//!
//! Every word is indexed with its archive and direction in front of it: `fattura` in a
//! message of archive 12's *Posta in arrivo* is the term `a12infattura`. One folder's words
//! are then terms of their own, and a search reads only the matches in the folders it may
//! reach: a rare word costs its few matches whatever the archive's size, and a common one
//! stops at the page, since terms are walked newest first (by search key). The prefixes are
//! `a`, digits, then `in` or `out`: none is the start of another, so no prefixed word can
//! be read as another folder's.
//!
//! Words are what is left between characters that are neither letters nor digits, in
//! lower case; the index and the query cut them the same way here, so what the search
//! engine's own tokenizer does on top (folding accents on SQLite) is the same on both sides.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, Statement,
    Value,
};

use super::{ServiceError, Services, archive::Direction, archive_view::ArchiveSearch, kept_mail};
use crate::{content_store::ObjectHash, db::archive_message};

/// Longer "words" (encoded data, long tokens) are not indexed nor searched.
const MAX_WORD_BYTES: usize = 100;

/// Messages re-indexed per transaction.
const REINDEX_AT_ONCE: u64 = 100;

/// The prefix of one archive folder's words.
pub(crate) fn folder_prefix(archive_id: i32, direction: Direction) -> String {
    format!("a{archive_id}{}", direction.as_str())
}

/// The prefix of one archive folder's subject words on SQLite, where the subject's words are
/// indexed twice: with the folder's prefix, for a search anywhere, and again with this one
/// (`s12infattura`), for a search in the subject. FTS5 keeps one list of matches per term
/// across all fields, so a subject word asked with the folder's prefix walks every message
/// whose *text* has it to find the few whose subject does; with its own terms it reads those
/// few. `s` begins no folder prefix, and every term begins with a letter and digits.
fn subject_prefix(folder_prefix: &str) -> String {
    format!(
        "s{}",
        folder_prefix.strip_prefix('a').unwrap_or(folder_prefix)
    )
}

/// The words of a text, in order, in lower case.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && word.len() <= MAX_WORD_BYTES)
        .map(str::to_lowercase)
}

/// The whole-address terms of a sender or recipients field: one per full address in it (its
/// words joined), after the field's words. A search by a full address then reads that
/// address's own messages instead of matching a phrase whose last word (`test`, `com`) is
/// in nearly every message.
fn address_terms(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| c.is_whitespace() || "<>,;\"'()".contains(c))
        .filter_map(whole_address)
}

/// A full address (`local@domain.tld`) as one term; `None` for anything else.
fn whole_address(piece: &str) -> Option<String> {
    let (local, domain) = piece.split_once('@')?;
    if local.is_empty() || domain.contains('@') || !domain.contains('.') || domain.ends_with('.') {
        return None;
    }
    let joined: String = words(piece).collect();
    (!joined.is_empty() && joined.len() <= MAX_WORD_BYTES).then_some(joined)
}

/// The terms of a field: its words, then (for an address field) its whole addresses.
fn terms<'a>(text: &'a str, addresses: bool) -> impl Iterator<Item = String> + 'a {
    let whole = addresses.then(|| address_terms(text));
    words(text).chain(whole.into_iter().flatten())
}

/// A message's four indexed fields: sender, recipients, subject, text.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a> {
    pub sender: &'a str,
    pub recipients: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
}

/// Writes a message's entry, its key the message's search key.
pub(crate) async fn index_message<C: ConnectionTrait>(
    db: &C,
    key: i64,
    prefix: &str,
    fields: &Fields<'_>,
) -> Result<(), DbErr> {
    index_messages(db, &[(key, prefix.to_string(), *fields)]).await
}

/// Writes messages' entries (search key, folder prefix, fields), in one statement.
pub(crate) async fn index_messages<C: ConnectionTrait>(
    db: &C,
    entries: &[(i64, String, Fields<'_>)],
) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::with_capacity(entries.len() * 5);
    let mut tuples = Vec::with_capacity(entries.len());
    for (key, prefix, fields) in entries {
        let texts = [
            (fields.sender, true),
            (fields.recipients, true),
            (fields.subject, false),
            (fields.text, false),
        ];
        values.push((*key).into());
        match backend {
            DatabaseBackend::Sqlite => {
                let mut texts = texts.map(|(text, addresses)| fts5_text(prefix, text, addresses));
                let own_terms = fts5_text(&subject_prefix(prefix), fields.subject, false);
                if !own_terms.is_empty() {
                    texts[2] = format!("{} {own_terms}", texts[2]);
                }
                values.extend(texts.map(Value::from));
                tuples.push("(?, ?, ?, ?, ?)".to_string());
            }
            _ => {
                let first = values.len();
                values.extend(
                    texts.map(|(text, addresses)| tsvector(prefix, text, addresses).into()),
                );
                tuples.push(format!(
                    "(${first}, ${}::tsvector, ${}::tsvector, ${}::tsvector, ${}::tsvector)",
                    first + 1,
                    first + 2,
                    first + 3,
                    first + 4
                ));
            }
        }
    }
    let key_column = match backend {
        DatabaseBackend::Sqlite => "rowid",
        _ => "id",
    };
    let sql = format!(
        "INSERT INTO archive_search ({key_column}, sender, recipients, subject, body) VALUES {}",
        tuples.join(", ")
    );
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map(|_| ())
}

/// Removes a message's entry.
pub(crate) async fn unindex_message<C: ConnectionTrait>(db: &C, key: i64) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Sqlite => "DELETE FROM archive_search WHERE rowid = ?",
        _ => "DELETE FROM archive_search WHERE id = $1",
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [key.into()]))
        .await
        .map(|_| ())
}

/// A field as FTS5 is given it: the prefixed words, spaced.
fn fts5_text(prefix: &str, text: &str, addresses: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for word in terms(text, addresses) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(prefix);
        out.push_str(&word);
    }
    out
}

/// A field as a PostgreSQL `tsvector` literal: each prefixed word quoted, with its position
/// (for phrases; PostgreSQL keeps positions up to 16,383).
fn tsvector(prefix: &str, text: &str, addresses: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for (n, word) in terms(text, addresses).enumerate() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&quoted(&format!("{prefix}{word}")));
        out.push_str(&format!(":{}", (n + 1).min(16_383)));
    }
    out
}

/// A lexeme in single quotes (a word has neither quotes nor backslashes; escaped anyway).
fn quoted(lexeme: &str) -> String {
    format!("'{}'", lexeme.replace('\\', "\\\\").replace('\'', "''"))
}

/// What a search asks of the index, as a condition on `archive_search s` and its values;
/// `None` when it gives no word that could match (only punctuation).
pub(crate) fn condition(
    backend: DatabaseBackend,
    search: &ArchiveSearch,
    prefixes: &[String],
) -> Option<(String, Vec<Value>)> {
    // Each word the user gave, with the fields it must be in.
    let mut asked: Vec<(&[&str], Vec<String>)> = Vec::new();
    const ANYWHERE: &[&str] = &["sender", "recipients", "subject", "body"];
    for (fields, text) in [
        (&["sender"][..], &search.from),
        (&["recipients"][..], &search.to),
        (&["subject"][..], &search.subject),
        (ANYWHERE, &search.text),
    ] {
        // A full address asked of an address field is its one whole term.
        let whole = matches!(fields, ["sender"] | ["recipients"]);
        for given in text.split_whitespace() {
            let tokens: Vec<String> = match whole.then(|| whole_address(given)).flatten() {
                Some(term) => vec![term],
                None => words(given).collect(),
            };
            if !tokens.is_empty() {
                asked.push((fields, tokens));
            }
        }
    }
    if asked.is_empty() || prefixes.is_empty() {
        return None;
    }
    Some(match backend {
        DatabaseBackend::Sqlite => {
            let query = asked
                .iter()
                .map(|(fields, tokens)| {
                    // The subject's words have terms of their own, in the subject alone.
                    let subject = matches!(fields, ["subject"]);
                    let phrases = prefixes
                        .iter()
                        .map(|prefix| match subject {
                            true => fts5_phrase(&subject_prefix(prefix), tokens),
                            false => fts5_phrase(prefix, tokens),
                        })
                        .collect::<Vec<_>>()
                        .join(" OR ");
                    match subject {
                        true => format!("({phrases})"),
                        false => format!("{{{}}} : ({phrases})", fields.join(" ")),
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND ");
            ("archive_search MATCH ?".to_string(), vec![query.into()])
        }
        _ => {
            let mut values: Vec<Value> = Vec::new();
            let mut parts = Vec::new();
            for (fields, tokens) in &asked {
                values.push(tsquery(prefixes, tokens).into());
                let n = values.len();
                let any = fields
                    .iter()
                    .map(|field| format!("s.{field} @@ ${n}::tsquery"))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                parts.push(format!("({any})"));
            }
            (parts.join(" AND "), values)
        }
    })
}

/// One folder's phrase of words, for FTS5.
fn fts5_phrase(prefix: &str, tokens: &[String]) -> String {
    let words = tokens
        .iter()
        .map(|token| format!("{prefix}{token}"))
        .collect::<Vec<_>>()
        .join(" ");
    format!("\"{}\"", words.replace('"', "\"\""))
}

/// The words as a phrase in any of the folders, as a PostgreSQL `tsquery` literal.
fn tsquery(prefixes: &[String], tokens: &[String]) -> String {
    prefixes
        .iter()
        .map(|prefix| {
            let phrase = tokens
                .iter()
                .map(|token| quoted(&format!("{prefix}{token}")))
                .collect::<Vec<_>>()
                .join(" <-> ");
            format!("({phrase})")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

impl Services {
    /// Indexes the archived messages waiting in `archive_reindex` (all of them after the
    /// index's format changed), from their stored bytes, a batch per transaction. Returns
    /// how many were indexed.
    pub async fn reindex_archives(&self) -> Result<u64, ServiceError> {
        let db = &self.db;
        let backend = db.get_database_backend();
        let store = self.time_machine_settings()?.store.clone();
        let mut indexed = 0;
        loop {
            let waiting: Vec<i32> = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!(
                        "SELECT message_id FROM archive_reindex ORDER BY message_id LIMIT {REINDEX_AT_ONCE}"
                    ),
                ))
                .await?
                .into_iter()
                .filter_map(|row| row.try_get::<i32>("", "message_id").ok())
                .collect();
            if waiting.is_empty() {
                return Ok(indexed);
            }
            let rows = archive_message::Entity::find()
                .filter(archive_message::Column::Id.is_in(waiting.iter().copied()))
                .all(db)
                .await?;
            let mut entries = Vec::with_capacity(rows.len());
            for row in rows {
                let (Some(key), Some(direction), Ok(hash)) = (
                    row.search_key,
                    Direction::parse(&row.direction),
                    row.object_hash.parse::<ObjectHash>(),
                ) else {
                    continue;
                };
                let bytes = match store.get(hash).await {
                    Ok(bytes) => bytes,
                    Err(err) => {
                        tracing::warn!(%err, message = row.id, "an archived message could not be read to index it");
                        continue;
                    }
                };
                let summary = tokio::task::spawn_blocking(move || kept_mail::summary(&bytes))
                    .await
                    .map_err(|err| ServiceError::Internal(err.to_string()))?;
                entries.push((row, key, direction, summary));
            }
            let txn = crate::db::begin_write(db).await?;
            for (row, key, direction, summary) in &entries {
                // Let go by retention meanwhile: nothing to index.
                if archive_message::Entity::find_by_id(row.id)
                    .one(&txn)
                    .await?
                    .is_none()
                {
                    continue;
                }
                let fields = Fields {
                    sender: &summary.sender,
                    recipients: &row.recipients,
                    subject: &summary.subject,
                    text: &summary.text,
                };
                unindex_message(&txn, *key).await?;
                index_message(
                    &txn,
                    *key,
                    &folder_prefix(row.archive_id, *direction),
                    &fields,
                )
                .await?;
                indexed += 1;
            }
            let marks = waiting
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            txn.execute_raw(Statement::from_string(
                backend,
                format!("DELETE FROM archive_reindex WHERE message_id IN ({marks})"),
            ))
            .await?;
            txn.commit().await?;
        }
    }

    /// Re-indexes what waits, in the background, once at start.
    pub fn spawn_archive_reindex(&self) {
        let services = self.clone();
        tokio::spawn(async move {
            match services.reindex_archives().await {
                Ok(0) => {}
                Ok(indexed) => tracing::info!(indexed, "archived messages re-indexed"),
                Err(err) => tracing::warn!(%err, "re-indexing the archive failed"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_cut_at_punctuation_and_lowered() {
        assert_eq!(
            words("Anna <anna@Example.test>, Fattura n°12").collect::<Vec<_>>(),
            ["anna", "anna", "example", "test", "fattura", "n", "12"]
        );
        assert_eq!(
            fts5_text("a3in", "Città: Roma!", false),
            "a3incittà a3inroma"
        );
        assert_eq!(
            tsvector("a3out", "l'anno", false),
            "'a3outl':1 'a3outanno':2"
        );
        assert_eq!(
            fts5_text("a3in", "Anna <anna@Example.test>, bob@x", true),
            "a3inanna a3inanna a3inexample a3intest a3inbob a3inx a3inannaexampletest"
        );
        assert_eq!(words(&"x".repeat(MAX_WORD_BYTES + 1)).count(), 0);
    }

    #[test]
    fn no_folder_prefix_begins_another() {
        let prefixes: Vec<String> = [1, 2, 12, 21, 123]
            .into_iter()
            .flat_map(|id| {
                [
                    folder_prefix(id, Direction::In),
                    folder_prefix(id, Direction::Out),
                ]
            })
            .collect();
        for a in &prefixes {
            for b in &prefixes {
                assert!(a == b || !b.starts_with(a.as_str()), "{a} begins {b}");
            }
        }
    }

    #[test]
    fn a_search_asks_each_word_in_the_folders_it_reaches() {
        let search = ArchiveSearch {
            from: "anna@example.test".into(),
            subject: "Re:".into(),
            text: "fattura \"marzo\" @".into(),
            ..ArchiveSearch::default()
        };
        let prefixes = ["a3in".to_string(), "a3out".to_string()];
        let (sql, values) = condition(DatabaseBackend::Sqlite, &search, &prefixes).expect("words");
        assert_eq!(sql, "archive_search MATCH ?");
        let Value::String(Some(query)) = &values[0] else {
            panic!("{values:?}")
        };
        assert_eq!(
            query.as_str(),
            "{sender} : (\"a3inannaexampletest\" OR \"a3outannaexampletest\") \
             AND (\"s3inre\" OR \"s3outre\") \
             AND {sender recipients subject body} : (\"a3infattura\" OR \"a3outfattura\") \
             AND {sender recipients subject body} : (\"a3inmarzo\" OR \"a3outmarzo\")"
        );
        let (sql, values) =
            condition(DatabaseBackend::Postgres, &search, &prefixes).expect("words");
        assert_eq!(
            sql,
            "(s.sender @@ $1::tsquery) AND (s.subject @@ $2::tsquery) AND (s.sender @@ $3::tsquery \
             OR s.recipients @@ $3::tsquery OR s.subject @@ $3::tsquery OR s.body @@ $3::tsquery) \
             AND (s.sender @@ $4::tsquery OR s.recipients @@ $4::tsquery OR s.subject @@ $4::tsquery \
             OR s.body @@ $4::tsquery)"
        );
        let Value::String(Some(first)) = &values[0] else {
            panic!("{values:?}")
        };
        assert_eq!(
            first.as_str(),
            "('a3inannaexampletest') | ('a3outannaexampletest')"
        );
        let punctuation = ArchiveSearch {
            text: "@ -- !".into(),
            ..ArchiveSearch::default()
        };
        assert!(condition(DatabaseBackend::Sqlite, &punctuation, &prefixes).is_none());
    }

    /// The keys a search finds, newest first, on a real SQLite database.
    async fn found(
        db: &sea_orm::DatabaseConnection,
        search: &ArchiveSearch,
        prefixes: &[String],
    ) -> Vec<i64> {
        let (sql, values) = condition(DatabaseBackend::Sqlite, search, prefixes).expect("words");
        db.query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            format!("SELECT s.rowid AS k FROM archive_search s WHERE {sql} ORDER BY s.rowid DESC"),
            values,
        ))
        .await
        .expect("search")
        .into_iter()
        .map(|row| row.try_get::<i64>("", "k").expect("key"))
        .collect()
    }

    #[tokio::test]
    async fn a_folder_finds_its_own_words_only_on_sqlite() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("p.sqlite3").display()
        );
        let db = crate::db::connect(&url).await.expect("db");
        let message = |sender, subject, text| Fields {
            sender,
            recipients: "bob@demo.test",
            subject,
            text,
        };
        let a1in = folder_prefix(1, Direction::In);
        let a1out = folder_prefix(1, Direction::Out);
        let a11in = folder_prefix(11, Direction::In);
        let mut together = Vec::new();
        for (n, (key, prefix, fields)) in [
            (
                10,
                &a1in,
                message(
                    "Anna <anna@example.test>",
                    "Fattura di marzo",
                    "Roma, città",
                ),
            ),
            (20, &a11in, message("anna@example.test", "fattura", "marzo")),
            (
                30,
                &a1out,
                message("bob@demo.test", "Re: fattura", "grazie anna"),
            ),
            (
                40,
                &a1in,
                message("carla@example.test", "marzo fattura", ""),
            ),
        ]
        .into_iter()
        .enumerate()
        {
            // The first alone, the others in one statement.
            if n == 0 {
                index_message(&db, key, prefix, &fields)
                    .await
                    .expect("indexed");
            } else {
                together.push((key, prefix.clone(), fields));
            }
        }
        index_messages(&db, &together).await.expect("indexed");
        let text = |t: &str| ArchiveSearch {
            text: t.into(),
            ..ArchiveSearch::default()
        };
        let inbox = [a1in.clone()];
        let both = [a1in.clone(), a1out.clone()];
        assert_eq!(found(&db, &text("fattura"), &inbox).await, [40, 10]);
        assert_eq!(found(&db, &text("fattura"), &both).await, [40, 30, 10]);
        assert_eq!(
            found(&db, &text("fattura"), std::slice::from_ref(&a11in)).await,
            [20]
        );
        // Accents fold, case does not matter, and words joined by punctuation are a phrase.
        assert_eq!(found(&db, &text("CITTA"), &inbox).await, [10]);
        assert_eq!(found(&db, &text("di-marzo"), &inbox).await, [10]);
        assert!(found(&db, &text("marzo-di"), &inbox).await.is_empty());
        // A field's words are looked for in that field.
        let from = ArchiveSearch {
            from: "anna@example.test".into(),
            ..ArchiveSearch::default()
        };
        assert_eq!(found(&db, &from, &both).await, [10]);
        // A part of an address is a phrase of its words.
        for part in ["anna@example", "example.test"] {
            let from = ArchiveSearch {
                from: part.into(),
                ..ArchiveSearch::default()
            };
            let expected: &[i64] = if part == "anna@example" {
                &[10]
            } else {
                &[40, 10]
            };
            assert_eq!(found(&db, &from, &both).await, expected, "{part}");
        }
        let subject = ArchiveSearch {
            subject: "marzo".into(),
            text: "fattura".into(),
            ..ArchiveSearch::default()
        };
        assert_eq!(found(&db, &subject, &inbox).await, [40, 10]);
        // A subject's words only in its subject: not in its sender nor in its text; its
        // phrases in order; and not across the end of the subject into what follows.
        let subject = |words: &str| ArchiveSearch {
            subject: words.into(),
            ..ArchiveSearch::default()
        };
        assert!(found(&db, &subject("anna"), &both).await.is_empty());
        assert_eq!(found(&db, &subject("fattura"), &both).await, [40, 30, 10]);
        assert_eq!(found(&db, &subject("DI MARZO"), &both).await, [10]);
        // Words joined by punctuation are a phrase, in the subject as anywhere.
        assert!(
            found(&db, &subject("fattura-marzo"), &both)
                .await
                .is_empty()
        );
        assert_eq!(found(&db, &subject("marzo-fattura"), &inbox).await, [40]);
        // Message 10's subject ends with `marzo` and its own terms begin with `fattura`:
        // no phrase of a search anywhere joins them.
        assert_eq!(found(&db, &text("marzo-fattura"), &inbox).await, [40]);
        // Gone from the index, gone from the search.
        unindex_message(&db, 40).await.expect("unindexed");
        assert_eq!(found(&db, &text("fattura"), &inbox).await, [10]);
    }
}
