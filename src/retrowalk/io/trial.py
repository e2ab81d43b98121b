"""Trial files (edge): definition YAML, long-format data CSV, sealed allocation JSON, result CSV."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from retrowalk.errors import InputError
from retrowalk.trial.analysis import TrialAnalysis
from retrowalk.trial.data import OPTIONAL_COLUMNS, RawRow, TrialData, build_dataset
from retrowalk.trial.definition import TrialDefinition
from retrowalk.trial.randomisation import AllocationList, verify
from retrowalk.trial.simulate import SimulationSpec

REQUIRED_COLUMNS = ("participant", "arm", "visit", "outcome", "value")


def _load_yaml(path: Path, field: str) -> Any:
    if not path.exists():
        raise InputError(field, f"{path} does not exist", hint="check the path")
    if path.is_dir():
        raise InputError(field, f"{path} is a directory", hint="pass a .yaml or .json file")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(field, f"{path} is not valid YAML: {exc}", hint="fix the syntax") from exc


def _validation(path: Path, exc: ValidationError) -> InputError:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    where = f"{path.name}: {loc}" if loc else path.name
    return InputError(
        where,
        first.get("msg", "invalid value"),
        hint=f"{len(exc.errors())} problem(s) in total; correct this one first"
        if len(exc.errors()) > 1
        else "correct this field",
    )


def load_definition(path: Path) -> TrialDefinition:
    raw = _load_yaml(path, "trial definition")
    if not isinstance(raw, dict):
        raise InputError(path.name, "a trial definition must be a mapping (id, arms, outcomes, visits, ...)")
    try:
        return TrialDefinition.model_validate(raw)
    except ValidationError as exc:
        raise _validation(path, exc) from None


def load_simulation_spec(path: Path) -> SimulationSpec:
    raw = _load_yaml(path, "simulation spec")
    try:
        return SimulationSpec.model_validate(raw)
    except ValidationError as exc:
        raise _validation(path, exc) from None


def read_rows(path: Path, definition: TrialDefinition) -> list[RawRow]:
    """Read the long CSV keeping each row's physical line number; lines starting with # are comments."""
    if not path.exists():
        raise InputError("data", f"{path} does not exist", hint="check the path")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return read_rows_from(fh, definition, source=path.name)


def read_rows_bytes(data: bytes, definition: TrialDefinition, *, source: str) -> list[RawRow]:
    """The same reader for an uploaded file (the API); ``source`` names it in error messages."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source} byte {exc.start}", "not UTF-8 text", hint="save the file as CSV (UTF-8)"
        ) from None
    return read_rows_from(io.StringIO(text, newline=""), definition, source=source)


def read_rows_from(fh: Iterable[str], definition: TrialDefinition, *, source: str) -> list[RawRow]:
    factors = [f.name for f in definition.stratification]
    rows: list[RawRow] = []
    reader = csv.reader(fh)
    header: list[str] | None = None
    try:
        for cells in reader:
            if not cells or (cells[0].lstrip().startswith("#")) or not any(c.strip() for c in cells):
                continue
            line = reader.line_num
            if header is None:
                header = [c.strip() for c in cells]
                missing = [c for c in (*REQUIRED_COLUMNS, *factors) if c not in header]
                if missing:
                    raise InputError(
                        f"{source} line {line}",
                        f"missing column(s): {', '.join(missing)}",
                        hint=f"the header needs {', '.join((*REQUIRED_COLUMNS, *factors))}",
                    )
                unknown = [c for c in header if c not in (*REQUIRED_COLUMNS, *factors, *OPTIONAL_COLUMNS)]
                if unknown:
                    raise InputError(
                        f"{source} line {line}",
                        f"unknown column(s): {', '.join(unknown)}",
                        hint=f"optional columns are {', '.join(OPTIONAL_COLUMNS)}",
                    )
                dupes = sorted({c for c in header if header.count(c) > 1})
                if dupes:
                    raise InputError(f"{source} line {line}", f"duplicate column(s): {', '.join(dupes)}")
                continue
            if len(cells) != len(header):
                raise InputError(
                    f"{source} line {line}",
                    f"{len(cells)} cells, header has {len(header)}",
                    hint="check for stray commas; quote text that contains commas",
                )
            rec = dict(zip(header, cells, strict=True))
            rows.append(
                RawRow(
                    line=line,
                    participant=rec["participant"],
                    arm=rec["arm"],
                    visit=rec["visit"],
                    outcome=rec["outcome"],
                    value=rec["value"],
                    strata={f: rec[f] for f in factors},
                    **{c: rec[c] for c in OPTIONAL_COLUMNS if c in rec},
                )
            )
    except csv.Error as exc:
        raise InputError(
            f"{source} line {reader.line_num}",
            f"not a readable CSV: {exc}",
            hint="save the file as plain CSV",
        ) from None
    if header is None:
        raise InputError("data", f"{source} is empty", hint="the first non-comment line must be the header")
    return rows


def load_data(path: Path, definition: TrialDefinition) -> TrialData:
    return build_dataset(definition, read_rows(path, definition), source=path.name)


def write_rows(path: Path, rows: Sequence[Mapping[str, Any]], *, comments: Iterable[str] = ()) -> None:
    """Write long-format rows with ``# ...`` header comments (used to label simulated data)."""
    if not rows:
        raise InputError("rows", "nothing to write")
    with path.open("w", newline="", encoding="utf-8") as fh:
        for c in comments:
            fh.write(f"# {c}\n")
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # the sealed list is for the trial statistician, not enrolling staff
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_allocation(path: Path, sealed: AllocationList) -> None:
    _atomic_write(path, sealed.model_dump_json(indent=1) + "\n")


def load_allocation(path: Path) -> AllocationList:
    if not path.exists():
        raise InputError(
            "allocation", f"{path} does not exist", hint="create it with `retrowalk trial randomise`"
        )
    try:
        sealed = AllocationList.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise InputError(
            "allocation",
            f"{path} is not a sealed allocation list: {exc.errors()[0]['msg']}",
            hint="restore it from backup",
        ) from None
    verify(sealed)
    return sealed


def result_rows(result: TrialAnalysis) -> list[dict[str, Any]]:
    """One flat row per estimate, for spreadsheets."""
    rows: list[dict[str, Any]] = []

    def add(
        outcome: str,
        analysis: str,
        arm: str,
        visit: str,
        n: int | None,
        est: float | None,
        se: float | None,
        lo: float | None,
        hi: float | None,
        p: float | None,
        note: str = "",
    ) -> None:
        rows.append(
            {
                "population": result.population,
                "outcome": outcome,
                "analysis": analysis,
                "arm": arm,
                "visit": visit,
                "n": n,
                "estimate": est,
                "se": se,
                "ci_low": lo,
                "ci_high": hi,
                "p": p,
                "note": note,
            }
        )

    for o in result.outcomes:
        for d in o.descriptives:
            s = d.summary
            add(
                o.outcome,
                "mean",
                d.arm,
                d.visit,
                s.n,
                s.mean,
                None,
                s.ci_low,
                s.ci_high,
                None,
                f"sd={s.sd:.4g}" if s.sd is not None else "",
            )
        for w in o.within:
            c = w.change
            add(
                o.outcome,
                "within-group change",
                w.arm,
                w.visit,
                c.n,
                c.estimate,
                c.se,
                c.ci_low,
                c.ci_high,
                c.p,
            )
        for a in o.ancova:
            d2 = a.difference
            add(
                o.outcome,
                "ANCOVA difference",
                a.arm,
                a.visit,
                a.n,
                d2.estimate,
                d2.se,
                d2.ci_low,
                d2.ci_high,
                d2.p,
                f"vs {result.control_arm}; adjusted for {', '.join(a.adjusted_for)}",
            )
        for e in o.effect_sizes:
            ef = e.effect
            add(
                o.outcome,
                "Hedges g (change)",
                e.arm,
                e.visit,
                ef.n_treatment + ef.n_control,
                ef.hedges_g,
                None,
                ef.ci_low,
                ef.ci_high,
                None,
                f"cohens_d={ef.cohens_d:.4g}" if ef.cohens_d is not None else "",
            )
        mm = o.mixed_model
        for c2 in mm.contrasts:
            dc = c2.difference_in_change
            add(
                o.outcome,
                "mixed model difference in change",
                c2.arm,
                c2.visit,
                mm.n_observations,
                dc.estimate,
                dc.se,
                dc.ci_low,
                dc.ci_high,
                dc.p,
                f"vs {result.control_arm}",
            )
        add(
            o.outcome,
            "mixed model arm x visit",
            "",
            "",
            mm.n_observations,
            mm.interaction_chi2,
            None,
            None,
            None,
            mm.interaction_p,
            f"Wald chi2, df={mm.interaction_df}",
        )
        ra = o.rm_anova
        for eff in ra.effects:
            add(
                o.outcome,
                f"RM ANOVA {eff.source}",
                "",
                "",
                ra.n_participants,
                eff.f,
                None,
                None,
                None,
                eff.p,
                f"F({eff.df}, {eff.df_error}); partial eta2={eff.partial_eta_squared:.3g}"
                if eff.partial_eta_squared is not None
                else f"F({eff.df}, {eff.df_error})",
            )
    return rows


def write_results_csv(path: Path, result: TrialAnalysis) -> None:
    write_rows(path, result_rows(result))
