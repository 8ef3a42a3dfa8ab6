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


# --- where the corpus and the checkpoints go: a checkout, or an installed copy -------------------


@pytest.fixture
def defaults(monkeypatch, tmp_path):
    """No COURSE_DATA_DIR or COURSE_CHECKPOINT_DIR, a per-user cache folder in tmp_path, the
    current folder a notebooks folder in tmp_path, and the once-only notice not yet said."""
    for name in ("COURSE_DATA_DIR", "COURSE_CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    notebooks = tmp_path / "my notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    monkeypatch.setattr(settings, "_told", [])
    return notebooks


def test_this_repository_is_a_checkout_and_keeps_everything_inside_it(defaults, capsys):
    assert settings.in_checkout() is True
    assert settings.data_dir() == settings.ROOT / "data"
    assert settings.checkpoint_dir() == settings.ROOT / "checkpoints"
    assert settings.require_checkout("this") == settings.ROOT
    assert settings.PACKAGE_PARENT == settings.ROOT
    assert (settings.PACKAGE_PARENT / "helpers" / "__init__.py").is_file()
    assert capsys.readouterr().out == ""  # nothing to say in a checkout


def test_a_checkout_is_told_from_an_installed_copy(monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "ROOT", tmp_path)
    monkeypatch.setattr(settings, "NOTEBOOKS", tmp_path / "notebooks")
    assert settings.in_checkout() is False  # site-packages: neither pyproject.toml nor notebooks/
    (tmp_path / "pyproject.toml").write_text("")
    assert settings.in_checkout() is False
    (tmp_path / "notebooks").mkdir()
    assert settings.in_checkout() is True


def test_installed_the_corpus_goes_to_the_user_cache_and_checkpoints_beside_the_notebooks(
    defaults, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(settings, "in_checkout", lambda: False)
    cache = tmp_path / "cache" / settings.CACHE_NAME
    assert settings.data_dir() == cache
    assert settings.checkpoint_dir() == defaults / "checkpoints"
    assert settings.data_dir() == cache and settings.checkpoint_dir() == defaults / "checkpoints"
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # said once, in one line, however often they are used
    assert out.startswith("The course is installed, not a checkout:")
    assert str(cache) in out and "COURSE_DATA_DIR" in out
    assert str(defaults / "checkpoints") in out and "COURSE_CHECKPOINT_DIR" in out
    assert not cache.exists() and not (defaults / "checkpoints").exists()  # only named, not made


def test_installed_the_variables_still_win_and_are_not_announced(
    defaults, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(settings, "in_checkout", lambda: False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "mine"))
    assert settings.data_dir() == tmp_path / "mine"
    assert capsys.readouterr().out == ""  # no default used yet: nothing to say
    assert settings.checkpoint_dir() == defaults / "checkpoints"
    out = capsys.readouterr().out
    assert "COURSE_CHECKPOINT_DIR" in out and "COURSE_DATA_DIR" not in out
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path / "models"))
    assert settings.checkpoint_dir() == tmp_path / "models"


def test_the_user_cache_folder_follows_the_platform(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(settings.sys, "platform", "linux")
    assert settings.user_cache_dir() == tmp_path / ".cache" / "gpt-from-scratch-course"
    monkeypatch.setattr(settings.sys, "platform", "darwin")
    assert settings.user_cache_dir() == tmp_path / "Library" / "Caches" / "gpt-from-scratch-course"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert settings.user_cache_dir() == tmp_path / "xdg" / "gpt-from-scratch-course"


def test_a_maintainers_command_needs_a_checkout(monkeypatch):
    monkeypatch.setattr(settings, "in_checkout", lambda: False)
    with pytest.raises(settings.NotACheckout, match="`make it` needs a checkout of the course"):
        settings.require_checkout("`make it`")
