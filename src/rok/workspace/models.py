"""The workspace tables: what users create (accounts, clusters, plans, programmes) and the audit log.

Every editable row has a ``version`` column used for optimistic concurrency (SQLAlchemy's
``version_id_col``): an UPDATE names the version it read and fails when someone else has
changed the row since (:class:`rok.workspace.errors.ConflictError`). Structured contents
(regions, domains, evidence snapshots, parameters) are JSON columns, portable between SQLite
and PostgreSQL. The schema is created and upgraded by the Alembic migrations in
``rok/workspace/migrations`` only; ``Base.metadata`` is what they describe.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

__all__ = [
    "Base", "User", "EditorScope", "AuditEntry", "Cluster", "ClusterDomain", "ClusterMember", "Plan", "SwotItem",
    "Priority", "Action", "Milestone", "Indicator", "TargetMilestone", "Measurement", "Risk",
    "Programme", "Pairing", "Activity", "Outcome", "ROLES", "PLAN_KINDS", "PLAN_STATUSES",
    "SCOPE_TYPES", "SWOT_CATEGORIES", "ACTION_STATUSES", "PROGRAMME_TYPES", "OUTCOME_KINDS",
    "ACTIVITY_KINDS", "INDICATOR_TYPES", "DIRECTIONS", "SCOPE_KINDS",
]

ROLES = ("admin", "programme_manager", "editor", "viewer")
SCOPE_KINDS = ("region", "cluster", "plan")  # what an editor's scope names
PLAN_KINDS = ("research_agenda", "joint_action_plan", "regional_action_plan", "cluster_roadmap")
PLAN_STATUSES = ("draft", "endorsed", "implementing", "closed")
SCOPE_TYPES = ("region", "cluster", "consortium")
SWOT_CATEGORIES = ("strength", "weakness", "opportunity", "threat")
ACTION_STATUSES = ("proposed", "planned", "ongoing", "done", "delayed", "cancelled", "not_carried_out")
INDICATOR_TYPES = ("output", "result")
DIRECTIONS = ("increase", "decrease")
PROGRAMME_TYPES = ("mentoring", "twinning", "peer_review")
ACTIVITY_KINDS = ("staff_exchange", "expert_visit", "training", "workshop", "summer_school",
                  "study_visit", "peer_review_meeting", "other")
OUTCOME_KINDS = ("proposal", "mou", "joint_project", "policy_change", "recommendation", "todo")



def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Versioned:
    """Mixin: an integer ``version`` bumped on every UPDATE (optimistic locking)."""

    @declared_attr
    def version(cls) -> Mapped[int]:
        return mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class EditorScope(Base):
    """One thing an ``editor`` may change: a region (NUTS code), a cluster id or a plan id."""

    __tablename__ = "editor_scopes"
    __table_args__ = (UniqueConstraint("user_id", "kind", "ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # SCOPE_KINDS
    ref: Mapped[str] = mapped_column(String(60))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(10))  # insert | update | delete
    entity: Mapped[str] = mapped_column(String(60), index=True)
    entity_id: Mapped[str] = mapped_column(String(60), index=True)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)


# -- clusters ----------------------------------------------------------------------------
class Cluster(Versioned, Base):
    __tablename__ = "clusters"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    regions: Mapped[Any] = mapped_column(JSON)  # NUTS 2021 codes
    organisation_id: Mapped[str | None] = mapped_column(String(60))  # the cluster organisation
    description: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20))  # proposed | imported | manual
    evidence: Mapped[Any] = mapped_column(JSON, nullable=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    domains: Mapped[list[ClusterDomain]] = relationship(cascade="all, delete-orphan", order_by="ClusterDomain.id")
    members: Mapped[list[ClusterMember]] = relationship(cascade="all, delete-orphan", order_by="ClusterMember.id")


class ClusterDomain(Base):
    __tablename__ = "cluster_domains"
    __table_args__ = (UniqueConstraint("cluster_id", "taxonomy", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    taxonomy: Mapped[str] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(60))


class ClusterMember(Base):
    __tablename__ = "cluster_members"
    __table_args__ = (UniqueConstraint("cluster_id", "org_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[str] = mapped_column(String(60))
    name: Mapped[str | None] = mapped_column(String(500))
    actor_type: Mapped[str] = mapped_column(String(10))  # HES REC PRC PUB OTH (warehouse organisations)
    region: Mapped[str | None] = mapped_column(String(10))


# -- plans -------------------------------------------------------------------------------
class Plan(Versioned, Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    lineage_id: Mapped[int | None] = mapped_column(Integer, index=True)  # id of the first version
    plan_version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(500))
    scope_type: Mapped[str] = mapped_column(String(20))
    scope_regions: Mapped[Any] = mapped_column(JSON)
    scope_clusters: Mapped[Any] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    evidence: Mapped[Any] = mapped_column(JSON, nullable=True)
    governance: Mapped[Any] = mapped_column(JSON, nullable=True)
    landscape: Mapped[Any] = mapped_column(JSON, nullable=True)
    extra: Mapped[Any] = mapped_column(JSON, nullable=True)  # other draft keys (notes, scope names)
    endorsed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    endorsed_by: Mapped[str | None] = mapped_column(String(320))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    swot: Mapped[list[SwotItem]] = relationship(cascade="all, delete-orphan", order_by="SwotItem.position")
    priorities: Mapped[list[Priority]] = relationship(cascade="all, delete-orphan", order_by="Priority.position")
    actions: Mapped[list[Action]] = relationship(cascade="all, delete-orphan", order_by="Action.position")
    indicators: Mapped[list[Indicator]] = relationship(cascade="all, delete-orphan", order_by="Indicator.position")
    risks: Mapped[list[Risk]] = relationship(cascade="all, delete-orphan", order_by="Risk.position")


class SwotItem(Base):
    __tablename__ = "swot_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[Any] = mapped_column(JSON, nullable=True)
    extra: Mapped[Any] = mapped_column(JSON, nullable=True)


class Priority(Base):
    __tablename__ = "priorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    domains: Mapped[Any] = mapped_column(JSON)
    rationale: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[Any] = mapped_column(JSON, nullable=True)  # measured numbers + load_id
    extra: Mapped[Any] = mapped_column(JSON, nullable=True)


class Action(Versioned, Base):
    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    priority_id: Mapped[int | None] = mapped_column(ForeignKey("priorities.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(300))
    partners: Mapped[Any] = mapped_column(JSON)  # [{"type": "organisation"|"region", "id": ...}]
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    budget: Mapped[float | None] = mapped_column(Float)
    funding_sources: Mapped[Any] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    status_reason: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[Any] = mapped_column(JSON, nullable=True)
    milestones: Mapped[list[Milestone]] = relationship(cascade="all, delete-orphan", order_by="Milestone.id")


class Milestone(Base):
    __tablename__ = "milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    due: Mapped[dt.date | None] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Indicator(Versioned, Base):
    __tablename__ = "indicators"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    priority_id: Mapped[int | None] = mapped_column(ForeignKey("priorities.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str | None] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(10))
    measure: Mapped[str | None] = mapped_column(String(60))  # a key of rok.cooperation.indicators.MEASURES
    params: Mapped[Any] = mapped_column(JSON, nullable=True)
    regions: Mapped[Any] = mapped_column(JSON, nullable=True)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None] = mapped_column(Integer)
    target_value: Mapped[float | None] = mapped_column(Float)
    checked_load_id: Mapped[int | None] = mapped_column(Integer)  # the last load it was recomputed on
    extra: Mapped[Any] = mapped_column(JSON, nullable=True)
    milestones: Mapped[list[TargetMilestone]] = relationship(
        cascade="all, delete-orphan", order_by="TargetMilestone.year")
    measurements: Mapped[list[Measurement]] = relationship(
        cascade="all, delete-orphan", order_by="Measurement.id", passive_deletes=True)


class TargetMilestone(Base):
    __tablename__ = "target_milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)


class Measurement(Base):
    """Append-only: a value of an indicator for a year, as measured at one time from one load."""

    __tablename__ = "measurements"
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    load_id: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(10))  # measure | manual
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str | None] = mapped_column(String(320))


class Risk(Base):
    __tablename__ = "risks"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    likelihood: Mapped[str | None] = mapped_column(String(20))
    impact: Mapped[str | None] = mapped_column(String(20))
    mitigation: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(300))
    extra: Mapped[Any] = mapped_column(JSON, nullable=True)


# -- mentoring programmes and peer reviews -----------------------------------------------
class Programme(Versioned, Base):
    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    rules: Mapped[Any] = mapped_column(JSON)  # eligibility and pairing options
    host: Mapped[str | None] = mapped_column(String(10))  # peer review: the host region
    topic: Mapped[Any] = mapped_column(JSON, nullable=True)  # peer review: {"taxonomy", "code", "text"}
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    pairings: Mapped[list[Pairing]] = relationship(cascade="all, delete-orphan", order_by="Pairing.id")
    activities: Mapped[list[Activity]] = relationship(cascade="all, delete-orphan", order_by="Activity.id")
    outcomes: Mapped[list[Outcome]] = relationship(cascade="all, delete-orphan", order_by="Outcome.id")
    milestones: Mapped[list[Milestone]] = relationship(cascade="all, delete-orphan", order_by="Milestone.id")
    indicators: Mapped[list[Indicator]] = relationship(cascade="all, delete-orphan", order_by="Indicator.position")


class Pairing(Base):
    __tablename__ = "pairings"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    mentee: Mapped[str] = mapped_column(String(10))  # region (peer review: the host)
    mentor: Mapped[str] = mapped_column(String(10))  # region (peer review: a peer)
    role: Mapped[str] = mapped_column(String(20))  # mentor | leading | peer
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[Any] = mapped_column(JSON, nullable=True)


class Activity(Base):
    __tablename__ = "activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("pairings.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500))
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    participants: Mapped[int | None] = mapped_column(Integer)


class Outcome(Base):
    __tablename__ = "outcomes"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("pairings.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(300))
