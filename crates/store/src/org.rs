//! Organisation and guideline versions: each kept by fingerprint; one organisation is
//! current, and its sites are kept as rows.

use chrono::{DateTime, Utc};
use yardstick_core::org::{Organisation, Site};

use crate::row::Columns;
use crate::{ROWS_PER_STATEMENT, Result, Store, ts};

const INSERT_ORG_VERSION: &str = "INSERT INTO org_version (fingerprint, file_name, toml, loaded_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (fingerprint) DO NOTHING";
const SET_CURRENT_ORG: &str = "INSERT INTO org_current (id, fingerprint) VALUES (1, $1) \
     ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint";
const INSERT_SITES: &str =
    "INSERT INTO site (id, parent, scene, area, tier, tz, name_zh, name_en) ";
const CURRENT_ORG: &str = "SELECT v.fingerprint, v.file_name, v.toml FROM org_current c \
     JOIN org_version v ON v.fingerprint = c.fingerprint WHERE c.id = 1";
/// The current version's fingerprint alone: asked on every request, so it reads no
/// organisation text.
const CURRENT_ORG_FINGERPRINT: &str = "SELECT c.fingerprint FROM org_current c \
     JOIN org_version v ON v.fingerprint = c.fingerprint WHERE c.id = 1";
const ORG_VERSION: &str =
    "SELECT fingerprint, file_name, toml FROM org_version WHERE fingerprint = $1";

/// A guideline version is recorded once; a placeholder left by migration 0003 (empty
/// text: an evaluation named a guideline whose text was never stored) gets its text when
/// the guideline is stored again.
const INSERT_GUIDELINE: &str = "INSERT INTO guideline_version \
     (fingerprint, guideline_id, version, toml, loaded_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (fingerprint) DO UPDATE SET guideline_id = excluded.guideline_id, \
     version = excluded.version, toml = excluded.toml, loaded_at = excluded.loaded_at \
     WHERE guideline_version.toml = ''";
const GUIDELINE_TEXT: &str =
    "SELECT toml FROM guideline_version WHERE fingerprint = $1 AND toml <> ''";

impl Store {
    /// Stores an organisation version (once per fingerprint: the same content again
    /// changes nothing stored), makes it the current one, and replaces the site rows
    /// with its sites, in one transaction. Returns its fingerprint (SHA-256 of the
    /// organisation's canonical JSON).
    ///
    /// # Errors
    /// On database failure (then nothing changed).
    pub async fn put_org(
        &self,
        file_name: &str,
        toml: &str,
        org: &Organisation,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let fingerprint = yardstick_core::fingerprint::of_json(org)?;
        let loaded_at = ts(now);
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(INSERT_ORG_VERSION)
                .bind(&fingerprint)
                .bind(file_name)
                .bind(toml)
                .bind(&loaded_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(SET_CURRENT_ORG)
                .bind(&fingerprint)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM site").execute(&mut *tx).await?;
            for chunk in org.sites.chunks(ROWS_PER_STATEMENT) {
                let mut q = sqlx::QueryBuilder::new(INSERT_SITES);
                q.push_values(chunk, |mut row, s: &Site| {
                    row.push_bind(s.id.as_str())
                        .push_bind(s.parent.as_str())
                        .push_bind(s.scene.as_str())
                        .push_bind(s.area.as_str())
                        .push_bind(s.tier.as_str())
                        .push_bind(s.tz.name())
                        .push_bind(s.name.zh.as_str())
                        .push_bind(s.name.en.as_str());
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(fingerprint)
    }

    /// The current organisation, validated again through core; `None` before any was
    /// stored.
    ///
    /// # Errors
    /// On database failure, [`crate::StoreError::Org`] when the stored text no longer
    /// validates, [`crate::StoreError::Damaged`] when it no longer matches its
    /// fingerprint.
    pub async fn org(&self) -> Result<Option<Organisation>> {
        let found = with_pool!(self, p => {
            match sqlx::query(CURRENT_ORG).fetch_optional(p).await? {
                Some(r) => Some((r.text("fingerprint")?, r.text("file_name")?, r.text("toml")?)),
                None => None,
            }
        });
        parse_org(found)
    }

    /// A stored organisation version by fingerprint, validated again through core.
    ///
    /// # Errors
    /// As [`Store::org`].
    pub async fn org_version(&self, fingerprint: &str) -> Result<Option<Organisation>> {
        let found = with_pool!(self, p => {
            match sqlx::query(ORG_VERSION).bind(fingerprint).fetch_optional(p).await? {
                Some(r) => Some((r.text("fingerprint")?, r.text("file_name")?, r.text("toml")?)),
                None => None,
            }
        });
        parse_org(found)
    }

    /// The fingerprint of the current organisation; `None` before any was stored.
    ///
    /// # Errors
    /// On database failure.
    pub async fn org_fingerprint(&self) -> Result<Option<String>> {
        with_pool!(self, p => {
            match sqlx::query(CURRENT_ORG_FINGERPRINT).fetch_optional(p).await? {
                Some(r) => Ok(Some(r.text("fingerprint")?)),
                None => Ok(None),
            }
        })
    }

    /// Records a guideline version (once per fingerprint).
    ///
    /// # Errors
    /// On database failure.
    pub async fn put_guideline(
        &self,
        fingerprint: &str,
        id: &str,
        version: &str,
        toml: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let loaded_at = ts(now);
        with_pool!(self, p => {
            sqlx::query(INSERT_GUIDELINE)
                .bind(fingerprint)
                .bind(id)
                .bind(version)
                .bind(toml)
                .bind(&loaded_at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// The TOML text of a recorded guideline version; `None` when the fingerprint is
    /// unknown or its text was never stored (a version an evaluation named before
    /// migration 0003).
    ///
    /// # Errors
    /// On database failure.
    pub async fn guideline_text(&self, fingerprint: &str) -> Result<Option<String>> {
        with_pool!(self, p => {
            match sqlx::query(GUIDELINE_TEXT).bind(fingerprint).fetch_optional(p).await? {
                Some(r) => Ok(Some(r.text("toml")?)),
                None => Ok(None),
            }
        })
    }
}

/// A stored organisation's text, read back through core's loader and checked against
/// the fingerprint it was stored under: a text changed inside the database (damage, a
/// hand edit) would otherwise change sites, scenes or targets, and every figure with
/// them, without a word.
fn parse_org(found: Option<(String, String, String)>) -> Result<Option<Organisation>> {
    match found {
        None => Ok(None),
        Some((fingerprint, file, toml)) => {
            let org = Organisation::from_toml(&file, &toml)?;
            let actual = yardstick_core::fingerprint::of_json(&org)?;
            if actual != fingerprint {
                return Err(crate::StoreError::Damaged {
                    what: format!("organisation version {fingerprint}"),
                    reason: format!("its stored text no longer matches it (it hashes to {actual})"),
                });
            }
            Ok(Some(org))
        }
    }
}
