// SPDX-License-Identifier: AGPL-3.0-only
//! The delegates' handle: a manager's delegates as its pages show them.

use std::collections::HashMap;

use app::{
    dto::{DelegateRow as WireRow, DelegatesView, ReadsPage},
    error::AppError,
    ports::{DelegateForm, DelegatesHandle},
};
use chrono::Utc;

use super::archive::{choice, read_row};
use crate::services::delegates::{DelegateInput, DelegateRow, DelegatesScope, READS_PAGE};

pub(super) struct Delegates<'a>(pub(super) DelegatesScope<'a>);

/// The form as the services take it: an archive id that is not a number names no archive.
fn input(form: &DelegateForm) -> DelegateInput {
    DelegateInput {
        login: form.login.clone(),
        display_name: form.display_name.clone(),
        email: form.email.clone(),
        expires_on: form.expires_on.clone(),
        window_from: form.window_from.clone(),
        window_to: form.window_to.clone(),
        archives: form
            .archives
            .iter()
            .map(|id| id.trim().parse().unwrap_or(-1))
            .collect(),
    }
}

fn wire(row: DelegateRow) -> WireRow {
    let d = row.delegate;
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    WireRow {
        expired: Utc::now().date_naive() > d.expires_on,
        expires_on: d.expires_on.to_string(),
        window_from: day(d.window_from),
        window_to: day(d.window_to),
        archives: row.archives.iter().map(choice).collect(),
        must_change_password: d.must_change_password,
        created_at: super::date(d.created_at),
        login: d.login,
        display_name: d.display_name,
        email: d.email,
    }
}

#[async_trait::async_trait]
impl DelegatesHandle for Delegates<'_> {
    async fn list(&self) -> Result<DelegatesView, AppError> {
        Ok(DelegatesView {
            delegates: self.0.list().await?.into_iter().map(wire).collect(),
            archives: self
                .0
                .offered_archives()
                .await?
                .iter()
                .map(choice)
                .collect(),
            today: Utc::now().date_naive().to_string(),
        })
    }

    async fn create(&self, form: &DelegateForm) -> Result<String, AppError> {
        Ok(self.0.create(&input(form)).await?.email)
    }

    async fn update(&self, login: &str, form: &DelegateForm) -> Result<(), AppError> {
        self.0.update(login, &input(form)).await?;
        Ok(())
    }

    async fn delete(&self, login: &str, confirm: &str) -> Result<(), AppError> {
        Ok(self.0.delete(login, confirm).await?)
    }

    async fn reset_password(&self, login: &str) -> Result<String, AppError> {
        Ok(self.0.reset_password(login).await?)
    }

    async fn reads(&self, login: &str, page: u64) -> Result<ReadsPage, AppError> {
        let login = login.trim();
        if !login.is_empty() {
            // Another manager's delegate, or none: not found.
            self.0.find(login).await?;
        }
        let (rows, total) = self
            .0
            .reads((!login.is_empty()).then_some(login), page)
            .await?;
        let addresses: HashMap<i32, String> = self
            .0
            .offered_archives()
            .await?
            .into_iter()
            .map(|a| (a.id, a.address))
            .collect();
        Ok(ReadsPage {
            rows: rows
                .into_iter()
                .map(|r| {
                    let address = addresses.get(&r.archive_id).cloned().unwrap_or_default();
                    read_row(r, &address)
                })
                .collect(),
            total,
            page,
            pages: total.div_ceil(READS_PAGE).max(1),
        })
    }
}
