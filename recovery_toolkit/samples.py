"""The bundled sample data, and the writers that make it.

Three synthetic files show the three kinds of input the toolkit meets:

* ``soreness_logs.csv``: the canonical table (about 400 episodes, 14 months, four sites);
* ``messy_export.csv`` + ``messy_mapping.yaml``: an EHR-style export with other column names,
  yes/no answers, ``;`` delimiters with decimal commas, DD/MM/YYYY dates and a few bad rows;
* ``redcap_export.csv`` + ``redcap_mapping.toml``: a REDCap longitudinal diary with checkbox
  columns and episode fields on the treatment-day event row.

:func:`write_samples` regenerates all of them from a seed (``recovery-toolkit sample``).

Examples
--------
>>> from recovery_toolkit.samples import sample_path
>>> sample_path().name
'soreness_logs.csv'
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from . import vocab
from .io.writers import write_csv, write_text
from .synth import generate_logs

__all__ = [
    "SAMPLE_FILES",
    "sample_path",
    "sample_parquet_folder",
    "write_samples",
    "to_messy_export",
    "to_redcap_export",
    "MESSY_MAPPING",
    "REDCAP_MAPPING",
]

SAMPLE_FILES = (
    "soreness_logs.csv",
    "messy_export.csv",
    "messy_mapping.yaml",
    "redcap_export.csv",
    "redcap_mapping.toml",
)


def sample_path(name: str = "soreness_logs.csv") -> Path:
    """Path of a bundled sample file (installed with the package, or in the source tree).

    Examples
    --------
    >>> sample_path("redcap_mapping.toml").suffix
    '.toml'
    """
    if name not in SAMPLE_FILES:
        raise ValueError(f"unknown sample {name!r}; choose one of {', '.join(SAMPLE_FILES)}")
    installed = Path(str(resources.files("recovery_toolkit"))) / "sample_data" / name
    if installed.is_file():
        return installed
    return Path(__file__).resolve().parent.parent / "sample_data" / name


def sample_parquet_folder(folder: str | Path | None = None, *, by: str | None = None) -> Path:
    """Write the canonical sample logs as Parquet, for trying the folder engine.

    One ``all.parquet``, or one file per value of the column ``by`` (``"site"``: a file per
    site). The input of :mod:`recovery_toolkit.io.dataset` and
    :func:`~recovery_toolkit.engines.parquet.summarise_dataset`.

    Parameters
    ----------
    folder : str or Path, optional
        Where to write (created if missing); default a new temporary folder, left for the
        caller to remove.
    by : str, optional
        A column to split the rows by, one file per value.

    Returns
    -------
    Path
        The folder.

    Examples
    --------
    >>> sorted(p.name for p in sample_parquet_folder(by="site").iterdir())[:2]
    ['Eastgate.parquet', 'Harbor.parquet']
    """
    from .io.load import load_logs

    out = Path(tempfile.mkdtemp(prefix="recovery-toolkit-sample-") if folder is None else folder)
    out.mkdir(parents=True, exist_ok=True)
    logs = load_logs(sample_path()).logs
    if by is None:
        logs.to_parquet(out / "all.parquet")
    else:
        for value, rows in logs.groupby(by):
            rows.to_parquet(out / f"{value}.parquet")
    return out


_MESSY_COLUMNS = {
    "patient_id": "Patient ID",
    "treatment_type": "Treatment",
    "treatment_date": "Treatment Date",
    "log_date": "Date",
    "soreness": "Pain (0-10)",
    "flag_worsening_pain": "Worse pain",
    "flag_infection_signs": "Fever/redness",
    "flag_neuro_deficit": "Numbness/weakness",
    "flag_bladder_bowel": "Bladder/bowel",
    "flag_cardiopulmonary": "Chest/breathing",
    "care_gentle_movement": "Moved gently",
    "care_cold": "Ice",
    "care_heat": "Heat",
    "care_posture": "Posture",
    "care_sleep": "Slept well",
    "care_hydration_nutrition": "Hydrated",
    "care_avoided_heavy_lifting": "No heavy lifting",
    "care_meds_as_directed": "Meds as directed",
    "care_followed_plan": "Followed plan",
    "clinic_contact": "Clinic contact",
    "site": "Clinic",
    "clinician": "Provider",
    "notes": "Comments",
}
_MESSY_TYPES = {
    "chiropractic": ("Chiro", "Chiropractic adjustment", "Manip."),
    "physical_therapy": ("PT", "Physio", "physical-therapy"),
    "injection": ("ESI", "Epidural steroid injection", "Injection"),
    "minor_procedure": ("Minor surgery", "minor procedure"),
}

MESSY_MAPPING = """\
# Mapping for messy_export.csv: an EHR export with its own column names and conventions.
delimiter: ";"
decimal: ","
date_format: "%d/%m/%Y"
columns:
{columns}
values:
  treatment_type:
    "Manip.": chiropractic
"""


def to_messy_export(logs: pd.DataFrame, *, rng: int | np.random.Generator = 0) -> pd.DataFrame:
    """Rewrite canonical logs as a messy EHR export, with a handful of deliberately bad rows.

    The bad rows (each quarantined with its own reason): soreness 11, ``seven`` and ``7,5``;
    a blank pain score; a log dated before its treatment; an exact duplicate; two conflicting
    rows for one day; an unknown treatment type; a yes/no cell saying ``maybe``.

    Examples
    --------
    >>> from recovery_toolkit.synth import generate_logs
    >>> bool(to_messy_export(generate_logs(20, rng=0))["Treatment Date"].str.contains("/").all())
    True
    """
    rng = np.random.default_rng(rng)
    out = pd.DataFrame(index=logs.index)
    out["Patient ID"] = logs["patient_id"]
    names = np.array(
        [rng.choice(_MESSY_TYPES[t]) for t in logs["treatment_type"].astype("str")], dtype=object
    )
    for column, header in _MESSY_COLUMNS.items():
        values = logs[column]
        if column == "treatment_type":
            out[header] = names
        elif column in ("treatment_date", "log_date"):
            out[header] = values.dt.strftime("%d/%m/%Y")
        elif column == "soreness":
            out[header] = values.astype("str") + np.where(rng.random(len(values)) < 0.3, ",0", "")
        elif str(values.dtype) == "boolean":
            out[header] = values.map({True: "Yes", False: "No"}, na_action="ignore")
        else:
            out[header] = values
    out = out.astype("str")
    if len(out) < 20:  # too small to hide bad rows among good ones
        return out.reset_index(drop=True)
    bad = rng.choice(np.arange(5, len(out) - 5), size=8, replace=False)
    pain, date, treat = "Pain (0-10)", "Date", "Treatment"
    out.loc[bad[0], pain] = "11"
    out.loc[bad[1], pain] = "seven"
    out.loc[bad[2], pain] = "7,5"
    out.loc[bad[3], pain] = None
    out.loc[bad[4], date] = "01/01/2024"  # before every treatment date in the sample
    out.loc[bad[5], treat] = "Massage"
    out.loc[bad[6], "Worse pain"] = "maybe"
    conflict = out.loc[[bad[7]]].assign(**{pain: "9"})
    duplicate = out.loc[[bad[7] + 1]]
    rows = [out.iloc[: bad[7] + 2], conflict, duplicate, out.iloc[bad[7] + 2 :]]
    return pd.concat(rows, ignore_index=True)


REDCAP_MAPPING = """\
# Mapping for redcap_export.csv: a REDCap longitudinal project, one record per episode.
# The treatment-day event ("treatment_arm_1") holds the episode fields and the day-0 diary.
ignore = ["redcap_repeat_instrument", "redcap_repeat_instance"]

[redcap]
record = "record_id"
event = "redcap_event_name"
day_pattern = 'day_(\\d+)_arm'
baseline_event = "treatment_arm_1"
baseline_day = 0
carry = ["patient_id", "treatment_type", "treatment_date", "site", "clinician"]

[columns]
mrn = "patient_id"
tx_type = "treatment_type"
tx_date = "treatment_date"
clinic_site = "site"
provider = "clinician"
pain_score = "soreness"
contacted_clinic = "clinic_contact"
diary_comments = "notes"

[values.treatment_type]
"1" = "chiropractic"
"2" = "physical_therapy"
"3" = "injection"
"4" = "minor_procedure"

[checkboxes.red_flags]
{flags}

[checkboxes.home_care]
{care}
"""


def to_redcap_export(logs: pd.DataFrame) -> pd.DataFrame:
    """Rewrite canonical logs as a REDCap longitudinal export (one record per episode).

    Episode fields appear only on the ``treatment_arm_1`` row; red flags and home-care answers
    are checkbox columns ``red_flags___1..5`` and ``home_care___1..9`` (1/0, blank if the form
    was not filled). Episodes without a day-0 log are left out: in this design the day-0 diary
    is taken at the clinic.

    Examples
    --------
    >>> from recovery_toolkit.synth import generate_logs
    >>> to_redcap_export(generate_logs(5, rng=0))["redcap_event_name"].iloc[0]
    'treatment_arm_1'
    """
    has_day0 = logs.loc[logs["day"] == 0, "episode_id"]
    logs = logs[logs["episode_id"].isin(has_day0)].sort_values(["episode_id", "day"])
    record = logs["episode_id"].factorize()[0] + 101
    base = (logs["day"] == 0).to_numpy()
    codes = {t: str(i + 1) for i, t in enumerate(vocab.TREATMENT_TYPES)}
    out = pd.DataFrame(
        {
            "record_id": record.astype(str),
            "redcap_event_name": np.where(
                base, "treatment_arm_1", "day_" + logs["day"].astype("str") + "_arm_1"
            ),
            "redcap_repeat_instrument": "",
            "redcap_repeat_instance": "",
            "mrn": np.where(base, logs["patient_id"], ""),
            "tx_type": np.where(base, logs["treatment_type"].astype("str").map(codes), ""),
            "tx_date": np.where(base, logs["treatment_date"].dt.strftime("%Y-%m-%d"), ""),
            "clinic_site": np.where(base, logs["site"], ""),
            "provider": np.where(base, logs["clinician"], ""),
            "pain_score": logs["soreness"].astype("str"),
        }
    )
    for field, items in (("red_flags", vocab.RED_FLAGS), ("home_care", vocab.CARE_ITEMS)):
        for i, column in enumerate(items, start=1):
            out[f"{field}___{i}"] = logs[column].map({True: "1", False: "0"}, na_action="ignore")
    out["contacted_clinic"] = logs["clinic_contact"].map(
        {True: "1", False: "0"}, na_action="ignore"
    )
    out["diary_comments"] = logs["notes"]
    return out.reset_index(drop=True)


def _mapping_texts() -> tuple[str, str]:
    columns = "\n".join(f'  "{header}": {column}' for column, header in _MESSY_COLUMNS.items())
    flags = "\n".join(f'"{i}" = "{c}"' for i, c in enumerate(vocab.RED_FLAGS, start=1))
    care = "\n".join(f'"{i}" = "{c}"' for i, c in enumerate(vocab.CARE_ITEMS, start=1))
    return MESSY_MAPPING.format(columns=columns), REDCAP_MAPPING.format(flags=flags, care=care)


def write_samples(out_dir: str | Path, *, episodes: int = 400, rng: int = 20251106) -> list[Path]:
    """Write the canonical, messy and REDCap samples (and their mapping files) to ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_samples(tmp, episodes=30)][:2]
    ['soreness_logs.csv', 'messy_export.csv']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    logs = generate_logs(episodes, rng=rng)
    canonical = logs.assign(
        treatment_date=logs["treatment_date"].dt.strftime("%Y-%m-%d"),
        log_date=logs["log_date"].dt.strftime("%Y-%m-%d"),
    )
    for column in canonical.columns:
        if str(canonical[column].dtype) == "boolean":
            canonical[column] = canonical[column].map(
                {True: "yes", False: "no"}, na_action="ignore"
            )
    messy_mapping, redcap_mapping = _mapping_texts()
    ids = logs["episode_id"].unique()
    messy_source = logs[logs["episode_id"].isin(ids[:60])]
    redcap_source = logs[logs["episode_id"].isin(ids[60:100] if len(ids) >= 100 else ids[:40])]
    paths = [
        write_csv(canonical, out / "soreness_logs.csv"),
        write_csv(
            to_messy_export(messy_source.reset_index(drop=True), rng=rng),
            out / "messy_export.csv",
            sep=";",
        ),
        write_text(messy_mapping, out / "messy_mapping.yaml"),
        write_csv(to_redcap_export(redcap_source), out / "redcap_export.csv"),
        write_text(redcap_mapping, out / "redcap_mapping.toml"),
    ]
    return paths
