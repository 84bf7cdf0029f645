"""Controlled vocabulary: treatment types, red flags, home-care items and reason codes.

Every code, label and piece of guidance text in the toolkit comes from here. The wording in
``guidance`` quotes the domain source (the article on post-treatment soreness after
spine-focused care) so that alerts and reports speak the same language as the clinic's
patient handout.

Examples
--------
>>> from recovery_toolkit import vocab
>>> vocab.TREATMENT_TYPES["physical_therapy"].label
'Physical therapy'
>>> vocab.normalise_treatment_type(" Chiro ")
'chiropractic'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "Term",
    "Reason",
    "TREATMENT_TYPES",
    "RED_FLAGS",
    "DERIVED_FLAGS",
    "CARE_ITEMS",
    "REASONS",
    "TREATMENT_SYNONYMS",
    "TRUE_WORDS",
    "FALSE_WORDS",
    "normalise_treatment_type",
]


@dataclass(frozen=True)
class Term:
    """One entry of the vocabulary.

    Parameters
    ----------
    code : str
        Machine name, also the column name where the term is a column.
    label : str
        Short human label for tables and charts.
    guidance : str
        The domain source's own wording, quoted in alerts and reports.
    """

    code: str
    label: str
    guidance: str


@dataclass(frozen=True)
class Reason:
    """A quarantine reason code with the fix a user should apply."""

    code: str
    message: str
    fix: str


def _by_code(*terms: Term) -> Mapping[str, Term]:
    return MappingProxyType({t.code: t for t in terms})


TREATMENT_TYPES: Mapping[str, Term] = _by_code(
    Term("chiropractic", "Chiropractic", "chiropractic adjustments"),
    Term("physical_therapy", "Physical therapy", "physical therapy"),
    Term("injection", "Injection", "injections"),
    Term("minor_procedure", "Minor procedure", "minor surgical procedures"),
)

RED_FLAGS: Mapping[str, Term] = _by_code(
    Term(
        "flag_worsening_pain",
        "Worsening pain",
        "Pain that intensifies, spreads, or limits movement beyond what you would expect "
        "from routine healing",
    ),
    Term(
        "flag_infection_signs",
        "Signs of infection",
        "New fever, redness, warmth, or swelling near the treatment area",
    ),
    Term(
        "flag_neuro_deficit",
        "New neurological deficit",
        "New numbness, tingling, or weakness in the legs, or a change in walking ability",
    ),
    Term(
        "flag_bladder_bowel",
        "Bladder or bowel change",
        "Loss of bladder or bowel control, or new urinary symptoms",
    ),
    Term(
        "flag_cardiopulmonary",
        "Chest or breathing symptoms",
        "Chest pain, shortness of breath, or swelling in the legs that persists",
    ),
)

DERIVED_FLAGS: Mapping[str, Term] = _by_code(
    Term(
        "flag_persistent_worsening",
        "Persistent or worsening symptoms",
        "Symptoms that persist or worsen after the initial few days of soreness",
    ),
)

CARE_ITEMS: Mapping[str, Term] = _by_code(
    Term(
        "care_gentle_movement",
        "Gentle movement",
        "Engage in short, gentle movements as tolerated (for example, light walking or slow "
        "mobility drills) to prevent stiffness",
    ),
    Term(
        "care_cold",
        "Cold therapy",
        "Use cold therapy for swelling or acute tenderness (ice wrapped in a cloth for 10–15 "
        "minutes, several times daily for the first 24–48 hours)",
    ),
    Term(
        "care_heat",
        "Heat",
        "then switch to heat for muscle stiffness or persistent tension",
    ),
    Term(
        "care_posture",
        "Posture and ergonomics",
        "Maintain good posture and ergonomics during daily activities; use supportive seating "
        "and avoid prolonged static positions when possible",
    ),
    Term(
        "care_sleep",
        "Restful sleep",
        "Sleep on a comfortable, supportive surface; consider a pillow placement that aligns "
        "the spine and reduces pressure on tender areas",
    ),
    Term(
        "care_hydration_nutrition",
        "Hydration and nutrition",
        "Stay hydrated and eat balanced meals with adequate protein to support tissue repair",
    ),
    Term(
        "care_avoided_heavy_lifting",
        "Avoided heavy lifting",
        "Limit heavy lifting and high-impact activities until your clinician approves a return "
        "to full activity",
    ),
    Term(
        "care_meds_as_directed",
        "Medication as directed",
        "Use over-the-counter pain relief only as directed by your clinician",
    ),
    Term(
        "care_followed_plan",
        "Followed the clinician's plan",
        "If a plan with your clinician exists, follow it consistently and report any new or "
        "changing symptoms promptly",
    ),
)

#: Why a row went to quarantine. Codes are stable: scripts may filter on them.
REASONS: Mapping[str, Reason] = MappingProxyType(
    {
        r.code: r
        for r in (
            Reason("missing_required", "a required value is blank", "fill in the value"),
            Reason("not_a_number", "not a number", "write a whole number"),
            Reason("not_an_integer", "not a whole number", "round to a whole number"),
            Reason("out_of_range", "outside the allowed range", "correct the value"),
            Reason("invalid_date", "not a date in the expected format", "write YYYY-MM-DD"),
            Reason(
                "ambiguous_date",
                "a date like 03/04/2024 could be day-first or month-first",
                "write YYYY-MM-DD, or name the date format the file uses (e.g. %d/%m/%Y)",
            ),
            Reason("future_date", "date lies in the future", "correct the date"),
            Reason(
                "log_before_treatment",
                "log date is before the treatment date",
                "correct log_date or treatment_date",
            ),
            Reason("day_mismatch", "day disagrees with log_date", "keep one of day or log_date"),
            Reason("invalid_boolean", "not a yes/no value", "write yes, no or leave blank"),
            Reason(
                "unknown_treatment_type",
                "unknown treatment type",
                "use chiropractic, physical_therapy, injection or minor_procedure, "
                "or map the value in a mapping file",
            ),
            Reason(
                "bad_field_count",
                "row has more fields than the header",
                "quote values that contain the delimiter",
            ),
            Reason("duplicate_row", "exact copy of an earlier row", "delete the repeated row"),
            Reason(
                "conflicting_rows",
                "several different rows for the same episode and day",
                "keep the one correct row",
            ),
            Reason(
                "episode_without_logs",
                "a baseline row whose episode has no valid diary row",
                "add the episode's diary rows, or remove the record",
            ),
            Reason(
                "inconsistent_episode",
                "rows of one episode disagree on patient, treatment type or treatment date",
                "make the episode's rows agree, or give them different episode_id values",
            ),
        )
    }
)

#: Common ways clinics write the four treatment types (after lower-casing and folding
#: spaces and hyphens to underscores).
TREATMENT_SYNONYMS: Mapping[str, str] = MappingProxyType(
    {
        "chiropractic": "chiropractic",
        "chiro": "chiropractic",
        "chiropractic_adjustment": "chiropractic",
        "chiropractic_adjustments": "chiropractic",
        "spinal_manipulation": "chiropractic",
        "manipulation": "chiropractic",
        "smt": "chiropractic",
        "adjustment": "chiropractic",
        "physical_therapy": "physical_therapy",
        "physicaltherapy": "physical_therapy",
        "pt": "physical_therapy",
        "physio": "physical_therapy",
        "physiotherapy": "physical_therapy",
        "physical_therapist": "physical_therapy",
        "injection": "injection",
        "injections": "injection",
        "spinal_injection": "injection",
        "esi": "injection",
        "epidural": "injection",
        "epidural_injection": "injection",
        "epidural_steroid_injection": "injection",
        "facet_injection": "injection",
        "nerve_block": "injection",
        "minor_procedure": "minor_procedure",
        "minor_procedures": "minor_procedure",
        "minor_surgery": "minor_procedure",
        "minor_surgical_procedure": "minor_procedure",
        "procedure": "minor_procedure",
        "surgery_minor": "minor_procedure",
    }
)

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "checked", "1.0"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "unchecked", "0.0"})

_FOLD = re.compile(r"[\s\-]+")


def normalise_treatment_type(value: str) -> str | None:
    """Return the canonical treatment type code for ``value``, or ``None`` if unknown.

    Case, surrounding space, inner spaces and hyphens are folded before the synonym lookup.

    Examples
    --------
    >>> normalise_treatment_type("Epidural steroid injection")
    'injection'
    >>> normalise_treatment_type("Physio")
    'physical_therapy'
    >>> normalise_treatment_type("massage") is None
    True
    """
    key = _FOLD.sub("_", str(value).strip().lower())
    return TREATMENT_SYNONYMS.get(key)


# ------------------------------------------------------------------ method defaults and rules
# Every default threshold of docs/methods.md; :class:`recovery_toolkit.analysis.Settings` takes
# its defaults from here, and no analysis, chart or widget repeats these numbers.

#: Last day of the metrics window (day 0 = treatment day).
WINDOW_DAYS = 14
#: Baseline: soreness at the earliest log on day 0 or day BASELINE_LAST_DAY; an episode whose first
#: log is later has no baseline.
BASELINE_LAST_DAY = 1
#: Soreness at or below which a day counts as resolved (default definition).
RESOLVED_AT = 2
#: Resolution definitions: ``default`` (stays at or below ``resolved_at``) and ``pace``.
DEFINITIONS: tuple[str, ...] = ("default", "pace")
#: PACE recovery (Williams 2014): this many consecutive days with soreness <= PACE_LEVEL.
PACE_DAYS = 7
PACE_LEVEL = 1
#: Days at which "resolved by day d" is reported.
MILESTONE_DAYS: tuple[int, ...] = (3, 7, 14)
#: Lost to follow-up: the last log is before this day and the episode has not resolved.
LOST_BEFORE_DAY = 7
#: First day on which the derived persistent-worsening flag can fire.
WORSENING_FROM_DAY = 3
#: Adherence score groups: high (>= HIGH_ADHERENCE), low (< LOW_ADHERENCE), partial between.
HIGH_ADHERENCE = 0.8
LOW_ADHERENCE = 0.5
#: Resolved by this day among adherent vs other episodes, per checklist item.
ITEM_RESOLUTION_DAY = 7
#: ``above_p90`` alert: soreness above the type's day-specific p90 on this many days ...
ABOVE_P90_DAYS = 2
#: ... counted from this day on.
ABOVE_P90_FROM_DAY = 3
#: Control chart: exact binomial probability limits with SPC_TAIL below the lower and above the
#: upper limit (0.00135 each side, as 3-sigma limits of a normal); a run of SPC_RUN_LENGTH points
#: on one side of the centre line signals.
SPC_TAIL = 0.00135
SPC_RUN_LENGTH = 8
#: Funnel plots: the "resolved by day d" measure uses this day.
FUNNEL_RESOLVED_DAY = 7
#: The model-based recovery curve is fitted on a random sample of at most this many episodes.
MODEL_MAX_EPISODES = 5000
#: Columns treatment types can be compared within (``Settings.stratify_by``).
STRATA: tuple[str, ...] = ("site",)
#: Funnel plots: two-sided coverage of the inner and outer limits (Spiegelhalter 2005).
FUNNEL_LEVELS: tuple[float, ...] = (0.95, 0.998)
#: Persistent worsening (Rubinstein 2007): soreness s at least WORSENING_POINTS above baseline b
#: and s > b x WORSENING_RATIO (a fraction, to compare whole numbers exactly).
WORSENING_POINTS = 2
WORSENING_RATIO = (13, 10)
#: Escalation: clinic contact on the flag day or within this many days after it.
CONTACT_WITHIN_DAYS = 1
#: The alert list's column: clinic contact on the flag day or within CONTACT_WITHIN_DAYS days.
CONTACT_COLUMN = f"contact_within_{CONTACT_WITHIN_DAYS}_day"
#: Adherence and recovery by landmark: the cohort still sore, unresolved and logging on this
#: day; adherence from the days before it (Dafni 2011).
LANDMARK_DAY = 3
#: Smallest count a shared output shows.
MIN_CELL = 11

#: Cold first, then heat ("apply cold for swelling in the first 24-48 hours, then switch to
#: heat if stiffness persists"): cold (not heat) on days 0..COLD_LAST_DAY; later, on days with
#: soreness >= HEAT_FROM_SORENESS, heat.
COLD_LAST_DAY = 1
HEAT_FROM_SORENESS = 3
COLD_THEN_HEAT = Term(
    "cold_then_heat",
    "Cold first, then heat",
    "Use cold therapy for swelling or acute tenderness ... for the first 24–48 hours, then "
    "switch to heat for muscle stiffness or persistent tension",
)

#: Label of every adherence item (the checklist's items and the timing-aware cold_then_heat).
ITEM_LABELS: Mapping[str, str] = MappingProxyType(
    {
        **{code: term.label for code, term in CARE_ITEMS.items()},
        COLD_THEN_HEAT.code: COLD_THEN_HEAT.label,
    }
)

#: Alert severities, most pressing first.
SEVERITIES: tuple[str, ...] = ("urgent", "prompt", "review")
#: The severity of an alert for each red flag (by the flag's code without ``flag_``).
FLAG_SEVERITY: Mapping[str, str] = MappingProxyType(
    {
        "bladder_bowel": "urgent",
        "neuro_deficit": "urgent",
        "cardiopulmonary": "urgent",
        "infection_signs": "prompt",
        "worsening_pain": "prompt",
        "persistent_worsening": "prompt",
    }
)

#: What an alert of each severity asks the clinic to do.
ALERT_ACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "urgent": "Contact the patient now; urgent medical evaluation may be needed.",
        "prompt": "Contact the patient within a day for a clinician's assessment.",
    }
)

#: Guidance quoted by the review alerts (``{resolved_at}`` and ``{window_days}`` are filled in).
REVIEW_GUIDANCE: Mapping[str, str] = MappingProxyType(
    {
        "above_p90": f'"{DERIVED_FLAGS["flag_persistent_worsening"].guidance}" deserve a '
        "clinician's assessment.",
        "unresolved_at_window_end": "Soreness still above {resolved_at}/10 at day "
        '{window_days}: seek professional input "if red flags appear or recovery stalls or '
        'reverses".',
        "stopped_logging": 'Stopped logging before recovery: check in with the patient ("if '
        'soreness worsens, lasts beyond a few days ... seek advice promptly").',
        "low_adherence": "Followed less than half of the home-care checklist: review the plan "
        'with the patient ("if a plan with your clinician exists, follow it consistently").',
    }
)
