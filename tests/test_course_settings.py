"""Every COURSE_* variable is read when it is needed, and a bad value is explained."""

import pytest

from helpers.course import settings
from helpers.course.settings import SettingError


def test_variables_are_read_at_call_time(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    assert settings.smoke() is False
    monkeypatch.setenv("COURSE_SMOKE", "1")
    assert settings.smoke() is True
    monkeypatch.setenv("COURSE_THREADS", "3")
    assert settings.threads() == 3
    monkeypatch.setenv("COURSE_DEVICE", "CUDA:1")
    assert settings.device_choice() == "cuda:1"
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert settings.data_dir() == tmp_path
    monkeypatch.setenv("COURSE_DATA_MIRROR", "")
    assert settings.mirror() is None


def test_unset_variables_give_the_defaults(monkeypatch):
    for name in ("COURSE_THREADS", "COURSE_DEVICE", "COURSE_DATA_DIR", "COURSE_RECORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert settings.threads() is None and settings.device_choice() is None
    assert settings.data_dir() == settings.ROOT / "data"
    assert settings.record_file() is None
    assert (settings.ROOT / "helpers" / "course" / "settings.py").is_file()


@pytest.mark.parametrize(
    "name, value, read, message",
    [
        ("COURSE_SMOKE", "maybe", settings.smoke, "set it to 1 for short runs"),
        ("COURSE_THREADS", "two", settings.threads, "a whole number of at least 1"),
        ("COURSE_THREADS", "0", settings.threads, "a whole number of at least 1"),
        ("COURSE_DEVICE", "gpu", settings.device_choice, "use cuda, cuda:N, mps or cpu"),
        ("COURSE_DEVICE", "mps:0", settings.device_choice, "use cuda, cuda:N, mps or cpu"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_may_hold(
    monkeypatch, name, value, read, message
):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=message) as info:
        read()
    assert f"{name}={value!r}" in str(info.value)
