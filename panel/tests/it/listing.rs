// SPDX-License-Identifier: AGPL-3.0-only
//! What the operator and the domain's administrators read: the monitor's price of every
//! upgrade, the mailbox list page by page, and its 24-hour column.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{
    flows,
    harness::{Casella, Web, mail},
};

fn monthly_cents(operator: &Web, company: &str) -> i64 {
    let monitor = operator.call("operator/monitor", &[]).expect("monitor");
    monitor
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["company_name"] == company)
        .and_then(|row| row["monthly_cents"].as_i64())
        .unwrap_or_else(|| panic!("{company} in {monitor}"))
}

#[test]
fn the_monitor_prices_every_quota_send_and_archive_upgrade() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    // flows::plan prices: extra mailbox 2, quota 25/50/100 GB 1/2/4, send 1000/2000/5000
    // 1/2/5, archive 3 (euro a month).
    let postmaster = flows::customer_domain(&casella, &operator, "bill.test", 3);
    let manager = flows::manager_of(&casella, &operator, "it.bill", "bill.test");
    let company = "Customer of bill.test";
    let boxes: Vec<String> = ["m1", "m2", "m3"]
        .iter()
        .map(|local| flows::mailbox(&postmaster, "bill.test", local))
        .collect();
    assert_eq!(
        monthly_cents(&operator, company),
        0,
        "three included mailboxes"
    );
    for (address, quota) in boxes
        .iter()
        .zip(["25000000000", "50000000000", "100000000000"])
    {
        postmaster
            .call(
                "mailboxes/set_quota",
                &[("address", address), ("quota", quota)],
            )
            .expect("quota");
    }
    assert_eq!(monthly_cents(&operator, company), 100 + 200 + 400);
    for (address, tier) in boxes.iter().zip(["1000", "2000", "5000"]) {
        manager
            .call(
                "mailboxes/set_send_tier",
                &[("address", address), ("send_tier", tier)],
            )
            .expect("send tier");
    }
    assert_eq!(monthly_cents(&operator, company), 700 + 100 + 200 + 500);
    // A fourth mailbox beyond the three included needs a bought slot, paid as one.
    manager
        .call(
            "domain/buy_slots",
            &[("domain", "bill.test"), ("count", "1")],
        )
        .expect("buy");
    assert_eq!(monthly_cents(&operator, company), 1500 + 200);
    // Archives are assigned by a later feature; the price is read from the mailbox's flag.
    crate::harness::sql(
        &casella,
        "UPDATE mailboxes SET archive = 1 WHERE address IN ('m1@bill.test', 'm2@bill.test')",
    );
    assert_eq!(monthly_cents(&operator, company), 1700 + 2 * 300);
}

fn rows(list: &Value) -> Vec<Value> {
    list["rows"].as_array().unwrap().clone()
}

#[test]
fn the_mailbox_list_pages_and_counts_the_last_day() {
    let casella = Casella::start(true);
    let operator = flows::operator(&casella);
    let postmaster = flows::customer_domain(&casella, &operator, "many.test", 60);
    for n in 0..54 {
        flows::mailbox(&postmaster, "many.test", &format!("user{n:02}"));
    }
    let page = |n: &str| {
        postmaster
            .call(
                "mailboxes/list_mailboxes",
                &[("domain", "many.test"), ("page", n), ("search", "")],
            )
            .expect("list")
    };
    let first = page("0");
    assert_eq!(first["total"], 55, "54 mailboxes and the postmaster");
    assert_eq!(rows(&first).len(), 50);
    assert_eq!(
        rows(&first)[0]["address"],
        "postmaster@many.test",
        "postmaster first"
    );
    assert_eq!(rows(&first)[1]["address"], "user00@many.test");
    let second = page("1");
    let addresses: Vec<String> = rows(&second)
        .iter()
        .map(|r| r["address"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        addresses,
        [
            "user49@many.test",
            "user50@many.test",
            "user51@many.test",
            "user52@many.test",
            "user53@many.test"
        ]
    );
    assert_eq!(rows(&page("2")).len(), 0);

    // Two messages out today; one of them then ages past a day and leaves the column.
    let submissions = casella.ports.submissions.to_string();
    for subject in ["first out", "second out"] {
        mail(&[
            "submit",
            &submissions,
            "tls",
            "user00@many.test",
            flows::PASSWORD,
            "user00@many.test",
            "partner@external.test",
            subject,
        ]);
    }
    let counted = || {
        rows(&page("0"))
            .iter()
            .find(|r| r["address"] == "user00@many.test")
            .map(|r| r["external_24h"].clone())
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while counted() != 2 {
        assert!(
            Instant::now() < deadline,
            "two messages counted: {}",
            counted()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    crate::harness::sql(
        &casella,
        "UPDATE outbound_log SET at = '2000-01-01 00:00:00+00:00'
         WHERE id = (SELECT MIN(id) FROM outbound_log WHERE address = 'user00@many.test')",
    );
    assert_eq!(counted(), 1, "a message older than a day is not counted");
    assert_eq!(
        rows(&page("0"))
            .iter()
            .find(|r| r["address"] == "user01@many.test")
            .map(|r| r["external_24h"].clone()),
        Some(Value::from(0))
    );
}
