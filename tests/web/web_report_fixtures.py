"""Realistic report input used by the report tests (not a stub: every field a clinic would fill)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from retrowalk.reports.charts import (
    ChartInputs,
    GaitPoint,
    KneeRomPoint,
    KoosPoint,
    PainPoint,
    RetroWalkPoint,
)
from retrowalk.reports.pdf import FindingRow, OutcomeRow, ProgrammeRow, ReportClient, ReportData

START = date(2026, 1, 5)


def sample_report(name: str = "Margaret Okonkwo-Test") -> ReportData:
    days = [START + timedelta(days=2 * i) for i in range(12)]
    return ReportData(
        client=ReportClient(
            id="c-42",
            name=name,
            date_of_birth=date(1958, 3, 14),
            sex="female",
            affected_side="left",
            trainer="Demo Trainer",
            goals=["walk 30 min", "stairs"],
        ),
        generated_at=datetime(2026, 2, 20, 9, 30),
        assessed_at=date(2026, 2, 16),
        findings=[
            FindingRow(
                joint="ankle",
                test="Knee-to-wall lunge",
                side="left",
                measured="7.5 cm",
                cut_off="< 9 cm",
                status="mobility deficit",
                source="Bennell 1998",
            ),
            FindingRow(
                joint="knee",
                test="Lateral step-down",
                side="left",
                measured="4 points",
                cut_off=">= 4 poor",
                status="stability deficit",
                source="Piva 2006",
            ),
            FindingRow(
                joint="hip",
                test="Hip internal rotation",
                side="right",
                measured="38°",
                cut_off="< 15°",
                status="ok",
                source="Altman 1991",
            ),
        ],
        programme=[
            ProgrammeRow(
                exercise="Treadmill retro-walking",
                exercise_id="retro_walk_1",
                stage="1",
                dose="8 min at 2.5 km/h, hands on rails",
                reason="Knee extension deficit; low compressive load on a painful knee",
                cues=["reach back, land on the toes", "trunk upright"],
            ),
            ProgrammeRow(
                exercise="Knee-to-wall ankle mobilisation",
                exercise_id="ankle_df_mobilisation",
                stage="1",
                dose="2 x 10 each side",
                reason="Left ankle dorsiflexion below cut-off",
            ),
        ],
        outcomes=[
            OutcomeRow(
                measure="KOOS Pain",
                unit="0-100",
                baseline=47.2,
                latest=66.7,
                mcid=15.0,
                source="Mostafaee 2021",
            ),
            OutcomeRow(
                measure="Pain NPRS (during)",
                unit="0-10",
                baseline=7,
                latest=6.5,
                mcid=1.0,
                better="lower",
                source="Salaffi 2004",
            ),
        ],
        sessions_logged=12,
        adherence_pct=86,
        charts=ChartInputs(
            pain=[
                PainPoint(
                    when=d,
                    during=max(0.0, 7 - 0.5 * i),
                    after=max(0.0, 6 - 0.4 * i),
                    next_morning=max(0.0, 4 - 0.3 * i),
                )
                for i, d in enumerate(days)
            ],
            koos=[
                KoosPoint(
                    when=START + timedelta(weeks=3 * i),
                    pain=47.2 + 9.7 * i,
                    symptoms=50 + 5 * i,
                    adl=55 + 8 * i,
                    sport_rec=25 + 5 * i,
                    qol=31 + 6 * i,
                )
                for i in range(3)
            ],
            knee_rom=[
                KneeRomPoint(
                    when=START + timedelta(weeks=3 * i),
                    side=s,
                    extension_deficit_deg=9 - 3 * i,
                    flexion_deg=112 + 5 * i,
                )
                for i in range(3)
                for s in ("left", "right")
            ],
            retro_walk=[
                RetroWalkPoint(when=d, minutes=5 + i, speed_kmh=2.0 + 0.1 * i, incline_pct=0 if i < 8 else 2)
                for i, d in enumerate(days)
            ],
            gait=[
                GaitPoint(when=START + timedelta(weeks=i), cadence_spm=92 + 2 * i, symmetry_pct=84 + 3 * i)
                for i in range(4)
            ],
        ),
    )
