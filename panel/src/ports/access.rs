// SPDX-License-Identifier: AGPL-3.0-only
//! The access log as the domain and own handles give it: pages and CSV.

use app::{
    dto::{AccessPage, AccessQuery, AccessRow},
    error::AppError,
};

use crate::{
    db::access_log,
    services::{
        Services,
        access_log::{ACCESS_PAGE, AccessFilter, AccessScope, EXPORT_LIMIT},
    },
};

fn filter(query: &AccessQuery) -> AccessFilter {
    AccessFilter {
        account: query.account.clone(),
        protocol: query.protocol.clone(),
        result: query.result.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
    }
}

fn row(m: access_log::Model) -> AccessRow {
    AccessRow {
        at: m.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        login: m.login,
        protocol: m.protocol,
        result: m.result,
        ip: m.remote_ip,
    }
}

/// A page of the log in a scope.
pub(super) async fn page(
    services: &Services,
    scope: AccessScope,
    query: &AccessQuery,
) -> Result<AccessPage, AppError> {
    let (rows, more) = services
        .access_page(&scope, &filter(query), query.before, ACCESS_PAGE)
        .await?;
    let older = more.then(|| rows.last().map(|r| r.id)).flatten();
    Ok(AccessPage {
        rows: rows.into_iter().map(row).collect(),
        older,
        kept_days: services.log_days(),
    })
}

/// The log in a scope as CSV, newest first.
pub(super) async fn csv(
    services: &Services,
    scope: AccessScope,
    query: &AccessQuery,
) -> Result<String, AppError> {
    let (rows, _) = services
        .access_page(&scope, &filter(query), query.before, EXPORT_LIMIT)
        .await?;
    let mut out = String::from("time,account,protocol,result,address\r\n");
    for r in rows.into_iter().map(row) {
        let fields = [r.at, r.login, r.protocol, r.result, r.ip];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// A CSV field, quoted when it must be, and never read as a formula by a spreadsheet.
pub(crate) fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
