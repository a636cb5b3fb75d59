//! The organisation in scope: `GET /api/v1/org` (nodes and sites the caller sees),
//! `GET /api/v1/sites`, `GET /api/v1/sites/{id}` (404 outside the caller's scope).

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yardstick_core::org::{Node, Site};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(org))
        .routes(routes!(sites))
        .routes(routes!(site))
}

/// A node above the sites: operator, province or city.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeDto {
    /// Id.
    pub id: String,
    /// Parent node (none for the operator).
    pub parent: Option<String>,
    /// operator, province or city.
    pub level: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
}

/// A service site.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteDto {
    /// Id.
    pub id: String,
    /// City node.
    pub parent: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// hall, call_centre or field_centre.
    pub scene: String,
    /// Area class.
    pub area: String,
    /// Tier.
    pub tier: String,
    /// Time zone (IANA).
    pub tz: String,
    /// Peer group it is ranked in.
    pub peer_group: String,
}

/// The organisation tree in the caller's scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgDto {
    /// Nodes, operator first.
    pub nodes: Vec<NodeDto>,
    /// Sites.
    pub sites: Vec<SiteDto>,
}

fn text(v: &impl Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn node_dto(n: &Node) -> NodeDto {
    NodeDto {
        id: n.id.clone(),
        parent: n.parent.clone(),
        level: text(&n.level),
        name_zh: n.name.zh.clone(),
        name_en: n.name.en.clone(),
    }
}

/// A site as the API shows it.
#[must_use]
pub fn site_dto(s: &Site) -> SiteDto {
    SiteDto {
        id: s.id.clone(),
        parent: s.parent.clone(),
        name_zh: s.name.zh.clone(),
        name_en: s.name.en.clone(),
        scene: s.scene.as_str().to_string(),
        area: text(&s.area),
        tier: text(&s.tier),
        tz: s.tz.name().to_string(),
        peer_group: s.peer_group(),
    }
}

/// The nodes and sites the caller sees.
#[utoipa::path(
    get,
    path = "/api/v1/org",
    tag = "organisation",
    responses(
        (status = 200, description = "The tree in scope", body = OrgDto),
        (status = 401, description = "No valid credentials", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn org(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<OrgDto>> {
    let v = state.workspace.org_in_scope(&caller.actor).await?;
    Ok(Json(OrgDto {
        nodes: v.nodes.iter().map(node_dto).collect(),
        sites: v.sites.iter().map(site_dto).collect(),
    }))
}

/// The sites the caller sees.
#[utoipa::path(
    get,
    path = "/api/v1/sites",
    tag = "organisation",
    responses(
        (status = 200, description = "Sites in scope", body = Vec<SiteDto>),
        (status = 401, description = "No valid credentials", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn sites(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<SiteDto>>> {
    let v = state.workspace.org_in_scope(&caller.actor).await?;
    Ok(Json(v.sites.iter().map(site_dto).collect()))
}

/// One site.
#[utoipa::path(
    get,
    path = "/api/v1/sites/{id}",
    tag = "organisation",
    params(("id" = String, Path, description = "Site id", example = "hz-h02")),
    responses(
        (status = 200, description = "The site", body = SiteDto),
        (status = 404, description = "No such site in the caller's scope", body = crate::api::ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn site(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SiteDto>> {
    let s = state.workspace.site_in_scope(&caller.actor, &id).await?;
    Ok(Json(site_dto(&s)))
}
