// SPDX-License-Identifier: AGPL-3.0-only
//! The provider's switches, by name.

use sea_orm::{ActiveValue::Set, ConnectionTrait, entity::prelude::*, sea_query::OnConflict};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "panel_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Whether operators and managers must sign in with a second factor.
pub const STAFF_TWO_FACTOR: &str = "staff_two_factor";

/// A random key made once and kept: every process (and every restart) reads the same.
/// `None` when the kept value cannot be read as a key.
pub async fn kept_key(db: &impl ConnectionTrait, name: &str) -> Result<Option<Vec<u8>>, DbErr> {
    let mut fresh = [0u8; 32];
    rand::fill(&mut fresh[..]);
    let row = ActiveModel {
        name: Set(name.to_string()),
        value: Set(data_encoding::HEXLOWER.encode(&fresh)),
    };
    // The first writer wins; everyone reads what it wrote.
    Entity::insert(row)
        .on_conflict_do_nothing_on([Column::Name])
        .exec(db)
        .await?;
    Ok(Entity::find_by_id(name.to_string())
        .one(db)
        .await?
        .and_then(|row| data_encoding::HEXLOWER.decode(row.value.as_bytes()).ok()))
}

/// Reads a switch; unset is off.
pub async fn flag(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
    Ok(Entity::find_by_id(name.to_string())
        .one(db)
        .await?
        .is_some_and(|row| row.value == "on"))
}

/// Sets a switch.
pub async fn set_flag(db: &impl ConnectionTrait, name: &str, on: bool) -> Result<(), DbErr> {
    let row = ActiveModel {
        name: Set(name.to_string()),
        value: Set(if on { "on" } else { "off" }.to_string()),
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::Name)
                .update_column(Column::Value)
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}
