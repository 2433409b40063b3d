"""Playing WAV files through a program, or only logging where there is no sound."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from appliance.speech.chime import ensure_chime
from appliance.speech.player import CommandPlayer, NullPlayer, PlaybackFailed, wav_seconds


def test_command_player_runs_the_program_with_the_file(tmp_path: Path) -> None:
    chime = ensure_chime(tmp_path)
    out = tmp_path / "played.txt"
    CommandPlayer(["sh", "-c", f'echo "$1" > {out}', "player"]).play(chime)
    assert out.read_text().strip() == str(chime)


def test_a_failing_player_program_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybackFailed, match="false failed"):
        CommandPlayer(["false"]).play(ensure_chime(tmp_path))


def test_a_hung_player_is_stopped_soon_after_the_sound_would_end(tmp_path: Path) -> None:
    chime = ensure_chime(tmp_path)
    start = time.monotonic()
    with pytest.raises(PlaybackFailed, match="still playing"):
        CommandPlayer(["sh", "-c", "exec sleep 30", "player"], slack_s=0.2).play(chime)
    assert time.monotonic() - start < wav_seconds(chime) + 2


def test_null_player_logs_what_it_would_play(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chime = ensure_chime(tmp_path)
    with caplog.at_level(logging.INFO, logger="okienko.appliance.speech"):
        NullPlayer().play(chime)
    assert f"not playing {chime.name} (0.8 s)" in caplog.text


def test_stop_cuts_a_playing_sound_short_without_an_error(tmp_path: Path) -> None:
    import threading

    player = CommandPlayer(["sh", "-c", "exec sleep 5", "player"])
    threading.Timer(0.3, player.stop).start()
    start = time.monotonic()
    player.play(ensure_chime(tmp_path))  # no PlaybackFailed: stopping is not a failure
    assert time.monotonic() - start < 3
