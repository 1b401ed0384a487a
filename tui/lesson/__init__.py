"""Lessons: the format, its loader, the checks, the session that plays a lesson, progress and the catalog.

Modules (kept separate, and this package imports none of them, so that reading
a lesson file does not load the simulator and nothing here loads the UI):

- :mod:`tui.lesson.model`: the typed lesson format (pydantic), source of ``lessons/schema.json``
- :mod:`tui.lesson.loader`: ``load_lesson(path)``, errors as ``FILE:LINE:COL: message``
- :mod:`tui.lesson.checks`: declarative checks judged on the engine's state
- :mod:`tui.lesson.session`: ``Session`` steps through a lesson, replays exactly, writes the journal
- :mod:`tui.lesson.progress`: progress and journals under the user data directory
- :mod:`tui.lesson.catalog`: the shipped lessons (source tree or installed package)
- :mod:`tui.lesson.schema`: writes ``lessons/schema.json``
"""
