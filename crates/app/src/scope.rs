//! Who is asking, and the one place where what they may see and do is decided.
//!
//! Every use case takes an [`Actor`]. The command line acts as [`Actor::System`]: the
//! person at a shell on the data directory's machine, who can read its files anyway.
//! Users of the server act as [`Actor::User`] through their grants (role × node). The
//! rules, all here:
//!
//! | role | sees | records (drill-down) | imports | freezes | users, activity |
//! |---|---|---|---|---|---|
//! | admin | everything | yes | yes | yes | yes |
//! | quality_manager | subtrees of its grants | in scope | rows of sites in scope | scopes within its grants | no |
//! | site_manager | its sites | its sites | rows of its sites | no | no |
//! | evaluator | subtrees of its grants | in scope | no | no | no |
//! | viewer | subtrees of its grants | in scope | no | no | no |
//! | regulator | every node and site, aggregated | no (no rows, no customer keys) | no | no | no |
//!
//! Audits and the improvement loop (audits, plans, findings, corrective actions,
//! reviews):
//!
//! | role | audits | plans audits | site response | findings, actions (read) | actions (write) | manual findings, verdicts, decisions |
//! |---|---|---|---|---|---|---|
//! | admin | all: read, create, edit, sign | yes | yes | all | yes | yes |
//! | quality_manager | in scope: read, create (for any evaluator) | in scope | no | in scope | in scope | in scope |
//! | site_manager | of its sites: read | no | its sites | its sites | its sites | no |
//! | evaluator | only those assigned to it: read, create, edit, sign (sites within its grants) | no | no | in scope | no | no |
//! | viewer | in scope: read | no | no | in scope | no | no |
//! | regulator | none | no | no | none (aggregated reviews only) | no | no |
//!
//! An evaluator's own assignments (audits and plans naming its login) come first in its
//! lists.
//!
//! Reads outside the scope answer "not found" (no existence leak); writes outside it
//! answer "forbidden".

use std::collections::BTreeSet;

use yardstick_core::org::Organisation;

use crate::access::{Principal, Role, Via};
use crate::activity::ActorKind;
use crate::error::{Error, ErrorKind, Result};

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The local operator of the data directory (the command line): everything.
    System,
    /// A signed-in user, through a session or a token.
    User(Principal),
}

/// Roles that see the subtrees of their grants.
const READERS: [Role; 5] = [
    Role::Admin,
    Role::QualityManager,
    Role::SiteManager,
    Role::Evaluator,
    Role::Viewer,
];

/// What an actor can see of the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    /// Everything.
    All,
    /// These sites and these nodes (the granted nodes and every node under them).
    Some {
        /// Site ids.
        sites: BTreeSet<String>,
        /// Node ids.
        nodes: BTreeSet<String>,
    },
}

impl Visible {
    /// Whether a site is visible.
    #[must_use]
    pub fn site(&self, id: &str) -> bool {
        match self {
            Visible::All => true,
            Visible::Some { sites, .. } => sites.contains(id),
        }
    }

    /// Whether a node is visible.
    #[must_use]
    pub fn node(&self, id: &str) -> bool {
        match self {
            Visible::All => true,
            Visible::Some { nodes, .. } => nodes.contains(id),
        }
    }

    /// Whether a node or site is visible.
    #[must_use]
    pub fn any(&self, id: &str) -> bool {
        self.site(id) || self.node(id)
    }
}

impl Actor {
    fn principal(&self) -> Option<&Principal> {
        match self {
            Actor::System => None,
            Actor::User(p) => Some(p),
        }
    }

    fn is_admin(&self) -> bool {
        self.principal().is_none_or(|p| p.has_role(Role::Admin))
    }

    /// The login recorded with what this actor freezes or changes.
    #[must_use]
    pub fn login(&self) -> Option<&str> {
        self.principal().map(|p| p.login.as_str())
    }

    /// Login, kind and client for the activity log.
    #[must_use]
    pub fn for_log(&self) -> (Option<&str>, ActorKind, Option<&str>) {
        match self {
            Actor::System => (None, ActorKind::Cli, None),
            Actor::User(p) => (
                Some(p.login.as_str()),
                match p.via {
                    Via::Session => ActorKind::Session,
                    Via::Token => ActorKind::Token,
                },
                p.client.as_deref(),
            ),
        }
    }

    /// What this actor sees of `org` (aggregated figures).
    #[must_use]
    pub fn visible(&self, org: &Organisation) -> Visible {
        let Some(p) = self.principal() else {
            return Visible::All;
        };
        if p.has_role(Role::Admin) || p.has_role(Role::Regulator) {
            return Visible::All;
        }
        subtrees(org, p.scopes_of(&READERS))
    }

    /// A text that is equal for two actors exactly when [`Actor::visible`] gives them the
    /// same sites and nodes of any organisation: `all`, or their reading scopes sorted.
    /// Answers cut to what a reader sees are kept under it.
    #[must_use]
    pub fn visibility_key(&self) -> String {
        let Some(p) = self.principal() else {
            return "all".into();
        };
        if p.has_role(Role::Admin) || p.has_role(Role::Regulator) {
            return "all".into();
        }
        let mut scopes: Vec<&str> = p.scopes_of(&READERS).collect();
        scopes.sort_unstable();
        scopes.dedup();
        format!("in:{}", scopes.join(","))
    }

    /// The sites whose individual records this actor may read (drill-down, exports).
    #[must_use]
    pub fn record_sites(&self, org: &Organisation) -> Visible {
        let Some(p) = self.principal() else {
            return Visible::All;
        };
        if p.has_role(Role::Admin) {
            return Visible::All;
        }
        // A regulator's grants give aggregated reads only.
        subtrees(org, p.scopes_of(&READERS))
    }

    /// Requires administration rights (users, grants, the organisation).
    ///
    /// # Errors
    /// Forbidden.
    pub fn require_admin(&self) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    /// The sites this actor may import records of (`All` for admins); rows of other
    /// sites are quarantined as unknown sites.
    ///
    /// # Errors
    /// Forbidden for roles that import nothing.
    pub fn import_sites(&self, org: &Organisation) -> Result<Visible> {
        let Some(p) = self.principal() else {
            return Ok(Visible::All);
        };
        if p.has_role(Role::Admin) {
            return Ok(Visible::All);
        }
        let scopes: Vec<&str> = p
            .scopes_of(&[Role::QualityManager, Role::SiteManager])
            .collect();
        if scopes.is_empty() {
            return Err(forbidden());
        }
        Ok(subtrees(org, scopes.into_iter()))
    }

    /// Whether records may be imported at all.
    ///
    /// # Errors
    /// Forbidden.
    pub fn require_write_records(&self) -> Result<()> {
        match self.principal() {
            None => Ok(()),
            Some(p)
                if p.has_role(Role::Admin)
                    || p.has_role(Role::QualityManager)
                    || p.has_role(Role::SiteManager) =>
            {
                Ok(())
            }
            Some(_) => Err(forbidden()),
        }
    }

    /// Whether an evaluation of `scope` may be frozen: admins anywhere, quality
    /// managers within a grant.
    ///
    /// # Errors
    /// Forbidden.
    pub fn require_freeze(&self, org: &Organisation, scope: &str) -> Result<()> {
        let Some(p) = self.principal() else {
            return Ok(());
        };
        if p.has_role(Role::Admin) {
            return Ok(());
        }
        let within = p
            .scopes_of(&[Role::QualityManager])
            .any(|g| g == scope || org.ancestors(scope).iter().any(|a| a == g));
        if within { Ok(()) } else { Err(forbidden()) }
    }

    /// Requires that a node or site is visible; "not found" otherwise.
    ///
    /// # Errors
    /// Not found.
    pub fn require_visible(&self, org: &Organisation, id: &str) -> Result<()> {
        if self.visible(org).any(id) {
            Ok(())
        } else {
            Err(Error::not_found("error.scope.not_found").arg("id", id))
        }
    }

    /// Requires that a site's records may be read; "not found" otherwise.
    ///
    /// # Errors
    /// Not found.
    pub fn require_records_of(&self, org: &Organisation, site: &str) -> Result<()> {
        if self.record_sites(org).site(site) {
            Ok(())
        } else {
            Err(Error::not_found("error.site.unknown").arg("site", site))
        }
    }
}

/// Roles that read audits of the sites in their subtrees (an evaluator reads only the
/// audits assigned to it).
const AUDIT_READERS: [Role; 4] = [
    Role::Admin,
    Role::QualityManager,
    Role::SiteManager,
    Role::Viewer,
];

impl Actor {
    /// Whether `role` is granted on `site` or a node above it.
    fn granted_on(&self, org: &Organisation, role: Role, site: &str) -> bool {
        self.principal().is_some_and(|p| {
            let up = org.ancestors(site);
            p.scopes_of(&[role]).any(|g| up.iter().any(|a| a == g))
        })
    }

    /// Whether this actor may read an audit of `site` assigned to `evaluator`.
    #[must_use]
    pub fn may_read_audit(&self, org: &Organisation, site: &str, evaluator: &str) -> bool {
        let Some(p) = self.principal() else {
            return true;
        };
        if p.has_role(Role::Admin) {
            return true;
        }
        let own = p.login == evaluator && self.granted_on(org, Role::Evaluator, site);
        own || subtrees(org, p.scopes_of(&AUDIT_READERS)).site(site)
    }

    /// Requires that an audit may be read; "not found" otherwise.
    ///
    /// # Errors
    /// Not found.
    pub fn require_audit_read(
        &self,
        org: &Organisation,
        site: &str,
        evaluator: &str,
        id: i64,
    ) -> Result<()> {
        if self.may_read_audit(org, site, evaluator) {
            Ok(())
        } else {
            Err(Error::not_found("error.audit.not_found").arg("id", id))
        }
    }

    /// Requires that an audit of `site` assigned to `evaluator` may be created: admins;
    /// quality managers within a grant (for any evaluator); an evaluator for itself on a
    /// site within its evaluator grants.
    ///
    /// # Errors
    /// Forbidden.
    pub fn require_audit_create(
        &self,
        org: &Organisation,
        site: &str,
        evaluator: &str,
    ) -> Result<()> {
        let Some(p) = self.principal() else {
            return Ok(());
        };
        let ok = p.has_role(Role::Admin)
            || self.granted_on(org, Role::QualityManager, site)
            || (p.login == evaluator && self.granted_on(org, Role::Evaluator, site));
        if ok { Ok(()) } else { Err(forbidden()) }
    }

    /// Requires that an audit may be answered, submitted, signed or amended: admins, and
    /// the evaluator it is assigned to (on a site within its evaluator grants).
    ///
    /// # Errors
    /// Forbidden.
    pub fn require_audit_edit(
        &self,
        org: &Organisation,
        site: &str,
        evaluator: &str,
    ) -> Result<()> {
        let Some(p) = self.principal() else {
            return Ok(());
        };
        let ok = p.has_role(Role::Admin)
            || (p.login == evaluator && self.granted_on(org, Role::Evaluator, site));
        if ok { Ok(()) } else { Err(forbidden()) }
    }

    /// Requires that the site's response (acknowledge, dispute) may be given: admins and
    /// the site's managers.
    ///
    /// # Errors
    /// Forbidden.
    pub fn require_audit_respond(&self, org: &Organisation, site: &str) -> Result<()> {
        let Some(p) = self.principal() else {
            return Ok(());
        };
        if p.has_role(Role::Admin) || self.granted_on(org, Role::SiteManager, site) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    /// Requires that audits of `site` may be planned, and the improvement loop managed
    /// there (manual findings, closing, verdicts by hand, review decisions): admins and
    /// quality managers within a grant.
    ///
    /// # Errors
    /// Forbidden.
    pub fn require_quality(&self, org: &Organisation, site_or_node: &str) -> Result<()> {
        let Some(p) = self.principal() else {
            return Ok(());
        };
        if p.has_role(Role::Admin) || self.granted_on(org, Role::QualityManager, site_or_node) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    /// Requires that corrective actions of `site` may be added and moved: admins,
    /// quality managers within a grant and the site's managers.
    ///
    /// # Errors
    /// Forbidden.
    pub fn require_action_write(&self, org: &Organisation, site: &str) -> Result<()> {
        let Some(p) = self.principal() else {
            return Ok(());
        };
        let ok = p.has_role(Role::Admin)
            || self.granted_on(org, Role::QualityManager, site)
            || self.granted_on(org, Role::SiteManager, site);
        if ok { Ok(()) } else { Err(forbidden()) }
    }

    /// The sites whose findings and actions this actor reads (the sites of its
    /// individual records: a regulator reads none).
    #[must_use]
    pub fn finding_sites(&self, org: &Organisation) -> Visible {
        self.record_sites(org)
    }
}

/// The sites and nodes under a set of scopes. Nodes above a grant are not visible: their
/// figures aggregate sites outside it.
fn subtrees<'a>(org: &Organisation, scopes: impl Iterator<Item = &'a str>) -> Visible {
    let mut sites = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    for scope in scopes {
        if !org.contains(scope) {
            continue;
        }
        for s in org.sites_under(scope) {
            sites.insert(s.id.clone());
        }
        for n in org.nodes_under(scope) {
            nodes.insert(n.id.clone());
        }
    }
    Visible::Some { sites, nodes }
}

fn forbidden() -> Error {
    Error::new(ErrorKind::Forbidden, "error.forbidden")
}
