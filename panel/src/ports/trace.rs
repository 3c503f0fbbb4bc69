// SPDX-License-Identifier: AGPL-3.0-only
//! The message trace as the domain handle gives it: pages and CSV.

use app::{
    dto::{TracePage, TraceQuery, TraceRow},
    error::AppError,
};

use super::access::csv_field;
use crate::{
    db::message_trace,
    services::{
        Services,
        trace::{TRACE_EXPORT_LIMIT, TRACE_PAGE, TraceFilter, queue_label},
    },
};

fn filter(query: &TraceQuery) -> TraceFilter {
    TraceFilter {
        address: query.address.clone(),
        status: query.status.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
    }
}

fn row(m: message_trace::Model) -> TraceRow {
    TraceRow {
        at: m.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        updated: m.updated_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        direction: m.direction,
        sender: m.sender,
        recipient: m.recipient,
        message_id: m.message_id.unwrap_or_default(),
        queue_id: m.queue_id.map(queue_label).unwrap_or_default(),
        size: m.size,
        status: m.status,
        detail: m.detail.unwrap_or_default(),
        remote_host: m.remote_host.unwrap_or_default(),
        remote_ip: m.remote_ip.unwrap_or_default(),
    }
}

/// A page of a domain's trace.
pub(super) async fn page(
    services: &Services,
    domain: &str,
    query: &TraceQuery,
) -> Result<TracePage, AppError> {
    let (rows, more) = services
        .trace_page(domain, &filter(query), query.before, TRACE_PAGE)
        .await?;
    let older = more.then(|| rows.last().map(|r| r.id)).flatten();
    Ok(TracePage {
        rows: rows.into_iter().map(row).collect(),
        older,
        kept_days: services.log_days(),
    })
}

/// A domain's trace as CSV, newest first.
pub(super) async fn csv(
    services: &Services,
    domain: &str,
    query: &TraceQuery,
) -> Result<String, AppError> {
    let (rows, _) = services
        .trace_page(domain, &filter(query), query.before, TRACE_EXPORT_LIMIT)
        .await?;
    let mut out = String::from(
        "time,direction,sender,recipient,message_id,queue_id,size,status,detail,remote_host,\
         remote_ip,updated\r\n",
    );
    for r in rows.into_iter().map(row) {
        let size = r.size.map(|s| s.to_string()).unwrap_or_default();
        let fields = [
            &r.at,
            &r.direction,
            &r.sender,
            &r.recipient,
            &r.message_id,
            &r.queue_id,
            &size,
            &r.status,
            &r.detail,
            &r.remote_host,
            &r.remote_ip,
            &r.updated,
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}
