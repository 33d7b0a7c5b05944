#!/usr/bin/env python3
"""Checks of the room generator and the evaluation's scorer (run by
scripts/test.d/72-room-eval.sh). Prints 'N passed, N failed'."""

import json
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evaluate as ev  # noqa: E402
import generate as gen  # noqa: E402
import voices  # noqa: E402

FIXTURES = gen.REPO / "tests" / "fixtures" / "mic" / "ami"
TABLETALK = gen.REPO / "target" / "release" / "tabletalk"


def test_wav_samples_map_back_to_the_adc_codes_replay_reads():
    # replay maps a 16-bit sample s to the code round(half + s * half / 32768).
    for full_scale in gen.ADCS.values():
        half = (full_scale + 1) / 2
        codes = np.arange(full_scale + 1)
        back = np.clip(np.round(half + gen.codes_to_wav16(codes, full_scale) * half / 32768), 0, full_scale)
        assert (back == codes).all(), full_scale


def test_score_of_the_reference_itself_is_zero_and_shares_exact():
    ref = np.zeros((2, 100), dtype=bool)
    ref[0, :60] = True
    ref[1, 50:] = True
    s = ev.score(ref, ref)
    assert s["error"] == 0 and s["share_error_pp"] == [0.0, 0.0]


def test_score_splits_false_alarm_into_crosstalk_and_silence():
    ref = np.zeros((2, 100), dtype=bool)
    ref[0, :50] = True  # A talks 0-50; 50-100 is silence
    hyp = ref.copy()
    hyp[1, 40:60] = True  # B on over A's speech (40-50) and in silence (50-60)
    hyp[0, 45:50] = False  # A missed 5, all outside overlap
    s = ev.score(ref, hyp)
    assert abs(s["fa_crosstalk"] - 100 * 5 / 50) < 1e-9, s
    assert abs(s["fa_silence"] - 100 * 10 / 50) < 1e-9, s
    # 40-45: A and B on, A talking: one false alarm; 45-50: B on, A not: confusion.
    assert abs(s["confusion"] - 100 * 5 / 50) < 1e-9, s
    assert s["missed"] == 0 and s["missed_overlap"] == 0


def test_open_badges_rule_fills_gaps_and_drops_short_talk():
    amps = np.full((2, 2000), 2.0)
    amps[0, 100:200] = 40  # 5 s of talk by badge 0
    amps[0, 150:155] = 2  # a 0.25 s dip: filled
    amps[1, 500:510] = 40  # 0.5 s by badge 1 (1.5 s of power): dropped
    out = ev.openbadges_decide(ev.openbadges_power(amps), 42)
    assert out[0, 120:190].all() and not out[0, :100].any()
    assert not out[1].any()


def test_open_badges_rule_equals_the_rust_one_on_the_same_levels():
    # tests/rooms/openbadges-rule.json holds the Rust rule's figures
    # (eval/tests/openbadges_rule.rs checks them against the Rust code).
    fx = json.loads((Path(__file__).resolve().parent / "openbadges-rule.json").read_text())
    amps = np.array(fx["amplitudes"], dtype=np.float64)
    power = ev.openbadges_power(amps)
    stored = np.array(fx["powers"], dtype=np.float32)  # every 10th
    assert (power[:, ::10] == stored).all(), np.abs(power[:, ::10] - stored).max()
    for d in fx["decisions"]:
        ours = ev.openbadges_decide(power, d["threshold"])
        spans = [[[int(a * 50), int(b * 50)] for a, b in gen.spans_of(row, 1)] for row in ours]
        assert spans == d["spans_ms"], d["threshold"]
    assert np.allclose(ev.OB_THRESHOLDS, fx["threshold_grid"], rtol=1e-12, atol=0)
    # The meter: the same ADC codes (eval/tests/openbadges_rule.rs's
    # formula), as the 16-bit samples the rooms' WAVs hold.
    levels = fx["meter"]["levels"]
    n = np.arange(len(levels[0]) * 4000)
    wave = np.array([(n * 7919 + seat * 104729) % 201 - 100 for seat in range(len(levels))])
    depth = np.array([np.array(row)[n // 4000] for row in levels])
    # Rust's integer division truncates toward zero (NumPy's // floors).
    codes = 2000 + 30 * np.arange(len(levels))[:, None] + np.sign(wave) * (np.abs(wave * depth) // 100)
    meter = ev.badge_amplitudes(gen.codes_to_wav16(codes, 4095).astype(np.float64), 4095)
    assert (meter == np.array(fx["meter"]["amplitudes"])).all(), (meter, fx["meter"]["amplitudes"])


def test_a_room_is_reproducible_and_described():
    meetings = gen.load_meetings(FIXTURES)
    name = "IS1008a"
    split, turns, uem = meetings[name]
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        da = gen.generate(name, split, turns, uem, 5, 0.5, 7, gen.Hardware(), a)
        db = gen.generate(name, split, turns, uem, 5, 0.5, 7, gen.Hardware(), b)
        files = sorted(p.name for p in da.iterdir())
        assert files == sorted(p.name for p in db.iterdir())
        for f in files:
            assert (da / f).read_bytes() == (db / f).read_bytes(), f
        room = json.loads((da / "room.json").read_text())
        assert 0.3 <= room["rt60_s"] <= 0.9 and room["table"] in gen.TABLES
        assert room["noise"] in gen.NOISES and 20 <= room["snr_db"] <= 35
        hw = gen.Hardware()
        assert all(abs(s["gain_db"]) <= 6 and hw.distance_min <= s["distance_m"] <= hw.distance_max for s in room["seats"])
        # Another seed is another room; another microphone another signal.
        dc = gen.generate(name, split, turns, uem, 5, 0.5, 8, gen.Hardware(), a)
        dd = gen.generate(name, split, turns, uem, 5, 0.5, 7, gen.Hardware(mic="omni"), a)
        assert len({da.name, dc.name, dd.name}) == 3
        w = room["seats"][0]["wav"]
        assert (da / w).read_bytes() != (dd / w).read_bytes()


def test_ism_rooms_keep_their_cache_keys():
    # The ism family's keys (and signals) are those of the generator before
    # families existed: cached rooms and figures measured on them stay valid.
    omni = gen.Hardware(mic="omni", distance_min=0.3, distance_max=0.6)
    assert gen.room_key("IB4002", 5.0, 0.5, 1, omni) == "59826b5b1821d67b"
    assert gen.room_key("IB4002", 5.0, 0.5, 1, omni, "hybrid") != "59826b5b1821d67b"


def test_the_families_have_disjoint_voices():
    ism = {v["id"] for v in voices.VOICES}
    hybrid = {v["id"] for v in voices.HYBRID_VOICES}
    assert len(ism) == len(hybrid) == 12 and not ism & hybrid
    for pool in (voices.VOICES, voices.HYBRID_VOICES):
        assert sorted(v["sex"] for v in pool).count("f") == 6


def test_a_hybrid_room_is_reproducible_and_another_model():
    meetings = gen.load_meetings(FIXTURES)
    name = "IS1008a"
    split, turns, uem = meetings[name]
    hw = gen.Hardware()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        da = gen.generate(name, split, turns, uem, 5, 0.25, 7, hw, a, "hybrid")
        db = gen.generate(name, split, turns, uem, 5, 0.25, 7, hw, b, "hybrid")
        files = sorted(p.name for p in da.iterdir())
        assert files == sorted(p.name for p in db.iterdir())
        for f in files:
            assert (da / f).read_bytes() == (db / f).read_bytes(), f
        room = json.loads((da / "room.json").read_text())
        assert room["family"] == "hybrid" and room["model"]["shape"] in ("alcove", "slanted")
        assert len(room["model"]["floor_m"]) in (4, 8)
        assert 0.15 <= room["model"]["rt60_eyring_s"] <= 0.38 and 0.2 <= room["rt60_s"] <= 1.6, room["rt60_s"]
        assert room["noise"] in ("hvac", "fan") and 20 <= room["snr_db"] <= 35
        pool = {v["id"] for v in voices.HYBRID_VOICES}
        assert all(s["voice"] in pool for s in room["seats"])
        assert all(hw.distance_min <= s["distance_m"] <= hw.distance_max for s in room["seats"])
        # Talkers face the table: toward its centre give or take 35 degrees.
        centre = np.array(room["model"]["table_centre_m"][:2])
        for seat, talker in zip(room["seats"], room["model"]["talkers"]):
            v = centre - np.array(seat["mouth_m"][:2])
            off = (talker["azimuth"] - np.degrees(np.arctan2(v[1], v[0])) + 180) % 360 - 180
            assert abs(off) <= 37, off  # positions in room.json are rounded to 1 cm
        ism = gen.generate(name, split, turns, uem, 5, 0.25, 7, hw, a)
        assert ism.name != da.name
        w = room["seats"][0]["wav"]
        assert (ism / w).read_bytes() != (da / w).read_bytes()


def test_python_scorer_agrees_with_tabletalk_score():
    meetings = gen.load_meetings(FIXTURES)
    name = "IS1008a"
    split, turns, uem = meetings[name]
    with tempfile.TemporaryDirectory() as tmp:
        d = gen.generate(name, split, turns, uem, 5, 1.0, 1, gen.Hardware(), tmp)
        room = json.loads((d / "room.json").read_text())
        ours = ev.score(ev.reference(d, room), ev.run_core(str(TABLETALK), d, room, []))
        log = Path(tmp) / "room.ttlog"
        wavs = [str(d / s["wav"]) for s in room["seats"]]
        subprocess.run([str(TABLETALK), "replay", "--wav", *wavs, "--full-scale", str(room["full_scale"]), "--out", str(log)], check=True, capture_output=True)
        out = subprocess.run(
            # The room's whole extent is scored (as by ev.score), so the UEM:
            # without one, `score` scores the reference's extent, as md-eval.
            [str(TABLETALK), "score", "--ref", str(d / "ref.rttm"), "--uem", str(d / "ref.uem"), "--map", "optimal", "--format", "json", str(log)],
            check=True, capture_output=True, text=True,
        ).stdout
        rate = json.loads(out)["error_rate"]
        assert abs(100 * rate - ours["error"]) < 0.5, (rate, ours["error"])


def main():
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    failed = 0
    for name, f in tests:
        try:
            f()
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - report every failing check
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
    print(f"{len(tests) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
