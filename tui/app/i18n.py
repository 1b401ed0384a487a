"""The player's own words in English and Chinese (lesson texts come from the lesson files).

Kept in one table so that a translator sees every UI string at once, and so
that switching the language from the command palette is a lookup, not a
re-import.
"""

from __future__ import annotations

from typing import Any

LANGS: tuple[str, ...] = ("en", "zh")

_STRINGS: dict[str, tuple[str, str]] = {
    # panes
    "pane.lesson": ("Lesson", "课程"),
    "pane.console": ("Console", "终端"),
    "pane.nodes": ("Nodes", "节点"),
    "pane.interfaces": ("Interfaces", "网络接口"),
    "pane.routes": ("Routes", "路由"),
    "pane.neigh": ("Neighbours", "邻居表"),
    "pane.capture": ("Capture", "抓包"),
    "pane.notes": ("Speaker notes", "讲者备注"),
    # lesson pane
    "lesson.loading": ("Loading the lesson…", "正在加载课程…"),
    "lesson.none": ("No lesson loaded.", "没有加载课程。"),
    "lesson.step": ("Step {n}/{total}", "第 {n}/{total} 步"),
    "lesson.steps": ("Steps", "步骤"),
    "steps.skipped": ("(skipped)", "（已跳过）"),
    "lesson.run": ("Run these commands:", "运行这些命令："),
    "lesson.hints": ("Hints", "提示"),
    "lesson.hint": ("Hint {n}", "提示 {n}"),
    "lesson.no_more_hints": ("No more hints for this step.", "这一步没有更多提示了。"),
    "lesson.no_hints": ("This step has no hints.", "这一步没有提示。"),
    "lesson.check": ("Check", "检查"),
    "lesson.check.pending": ("not checked yet", "尚未检查"),
    "lesson.check.passed": ("passed", "通过"),
    "lesson.check.failed": ("not yet", "未通过"),
    "lesson.next": ("Next", "下一步"),
    "lesson.back": ("Back", "上一步"),
    "lesson.hint_button": ("Hint", "提示"),
    "lesson.done": ("Lesson complete. Well done!", "本课完成，做得好！"),
    "lesson.skip": ("Not done yet: press {keys} again to go on anyway.", "这一步还没完成：再按一次 {keys} 也可以继续。"),
    "lesson.last_step": ("This is the last step.", "这是最后一步。"),
    "lesson.first_step": ("This is the first step.", "这是第一步。"),
    "lesson.objectives": ("Objectives", "学习目标"),
    "lesson.minutes": ("{n} min", "{n} 分钟"),
    "lesson.error": ("The lesson could not be loaded", "课程无法加载"),
    "lesson.click_to_insert": ("click to put it in the console", "点击放入终端"),
    "lesson.break": ("A fault was injected: find it and repair it.", "已注入一个故障：找出并修复它。"),
    "lesson.capture": ("A capture started on {where}.", "已在 {where} 上开始抓包。"),
    # quiz
    "quiz.answer": ("Answer", "回答"),
    "quiz.placeholder": ("type your answer and press Enter", "输入答案后按回车"),
    "quiz.correct": ("Correct", "正确"),
    "quiz.wrong": ("Not quite", "不太对"),
    "quiz.pick": ("Pick every correct answer, then Answer.", "选出所有正确答案，然后点“回答”。"),
    # console
    "console.running": ("running — ctrl+c stops it", "运行中 — ctrl+c 停止"),
    "console.placeholder": ("type a command (tab completes)", "输入命令（tab 补全）"),
    "console.not_ready": ("the lab is starting…", "实验环境启动中…"),
    # nodes / interfaces / routes
    "nodes.namespaces": ("namespaces", "命名空间"),
    "nodes.containers": ("containers", "容器"),
    "nodes.none": ("no lab yet", "还没有实验环境"),
    "col.name": ("Name", "名称"),
    "col.state": ("State", "状态"),
    "col.mtu": ("MTU", "MTU"),
    "col.mac": ("MAC", "MAC"),
    "col.addresses": ("Addresses", "地址"),
    "col.master": ("Master", "主设备"),
    "col.kind": ("Kind", "类型"),
    "col.dst": ("Destination", "目的"),
    "col.via": ("Via", "网关"),
    "col.dev": ("Dev", "设备"),
    "col.proto": ("Proto", "协议"),
    "col.scope": ("Scope", "范围"),
    "col.src": ("Src", "源地址"),
    "col.metric": ("Metric", "度量"),
    "col.ip": ("Address", "地址"),
    "col.lladdr": ("MAC", "MAC"),
    "col.nud": ("State", "状态"),
    "routes.toggle": ("{keys}: neighbours / routes", "{keys}：切换邻居表/路由"),
    "routes.title_routes": ("routes of {where}", "{where} 的路由"),
    "routes.title_neigh": ("neighbours of {where}", "{where} 的邻居表"),
    "ifaces.title": ("interfaces of {where}", "{where} 的网络接口"),
    "ifaces.none": ("select a namespace in Nodes", "在“节点”中选择一个命名空间"),
    "capture.placeholder": (
        "Captures appear here when tcpdump runs or a capture step starts.",
        "运行 tcpdump 或进入抓包步骤后，抓到的包会显示在这里。",
    ),
    "capture.count": ("{n} packets on {where}", "{where} 上 {n} 个包"),
    # picker
    "picker.title": ("Choose a lesson", "选择课程"),
    "picker.empty": ("No lessons found.", "没有找到课程。"),
    "picker.progress": ("{done}/{total} steps", "{done}/{total} 步"),
    "picker.resume": ("resume at step {n}", "从第 {n} 步继续"),
    "picker.new": ("not started", "未开始"),
    "picker.complete": ("complete", "已完成"),
    "picker.open": ("Open", "打开"),
    "picker.loading": ("Reading lessons…", "正在读取课程…"),
    # dialogs
    "goto.title": ("Go to step", "跳转到步骤"),
    "export.title": ("Export", "导出"),
    "export.md": ("Markdown study notes", "Markdown 学习笔记"),
    "export.html": ("HTML page", "HTML 页面"),
    "export.cast": ("asciicast recording", "asciicast 录像"),
    "export.pcap": ("pcap of every capture", "全部抓包的 pcap"),
    "export.svg": ("SVG screenshot of this screen", "当前屏幕的 SVG 截图"),
    "export.saved": ("Saved {path}", "已保存 {path}"),
    "export.failed": ("Export failed: {error}", "导出失败：{error}"),
    "export.unavailable": ("Exports are not available yet", "导出功能暂不可用"),
    "help.title": ("Keys", "按键"),
    "help.close": ("Press escape to close", "按 escape 关闭"),
    "notify.quit_hint": ("ctrl+q quits (progress is saved)", "ctrl+q 退出（进度已保存）"),
    "notify.lang": ("Language: {name}", "语言：{name}"),
    "notify.theme": ("Theme: {theme}", "主题：{theme}"),
    "palette.key": ("palette", "命令面板"),
    "palette.key_tip": ("Open the command palette", "打开命令面板"),
    "palette.theme": ("Theme: {theme}", "主题：{theme}"),
    "palette.theme_help": ("colour theme", "配色主题"),
    "presenter.on": ("Presenter mode on", "演示模式已开启"),
    "presenter.off": ("Presenter mode off", "演示模式已关闭"),
    "presenter.no_notes": ("No speaker notes for this step.", "这一步没有讲者备注。"),
    "status.virtual": ("lab time", "实验时间"),
    # bindings (footer and help)
    "key.next": ("Next step", "下一步"),
    "key.prev": ("Previous step", "上一步"),
    "key.hint": ("Hint", "提示"),
    "key.reset": ("Reset step", "重做本步"),
    "key.goto": ("Go to step", "跳转"),
    "key.zoom": ("Zoom pane", "放大窗格"),
    "key.cycle": ("Next pane", "下一个窗格"),
    "key.cycle_back": ("Previous pane", "上一个窗格"),
    "key.help": ("Help", "帮助"),
    "key.export": ("Export", "导出"),
    "key.quit": ("Quit", "退出"),
    "key.check": ("Check", "检查"),
    "key.palette": ("Commands", "命令"),
    "key.interrupt": ("Stop command", "停止命令"),
    "key.neigh": ("Routes/neighbours", "路由/邻居"),
    "key.lessons": ("Lessons", "课程列表"),
    "key.console": ("Console", "终端"),
    "key.clear": ("Clear console", "清屏"),
    "key.advance": ("Advance (presenter)", "前进（演示）"),
    "key.history": ("Command history (console)", "命令历史（终端）"),
    "key.line_ends": ("Start / end of the command line (console; ^E exports)",
                      "跳到命令行开头 / 结尾（终端；^E 是导出）"),
    "key.complete": ("Complete / list candidates (console)", "补全 / 列出候选（终端）"),
    "key.packet": ("Packet layers and walk (capture)", "数据包分层与路径（抓包）"),
    "key.unzoom": ("Leave the zoomed pane", "退出放大"),
    "key.filter": ("Filter packets: a tcpdump expression (capture)", "过滤数据包：tcpdump 表达式（抓包）"),
    "key.follow": ("Follow the newest / pause (capture)", "跟随最新 / 暂停（抓包）"),
    "key.copy_line": ("Copy the packet's line (capture)", "复制这个包的那一行（抓包）"),
    "key.walk": ("Previous / next hop (packet walk)", "上一跳 / 下一跳（数据包路径）"),
    "key.expand": ("Expand / collapse every layer (packet detail)", "展开 / 折叠所有分层（数据包详情）"),
    "notes.timer": ("step time {t}", "本步用时 {t}"),
    "key.retreat": ("Back (presenter)", "后退（演示）"),
}


def t(lang: str, key: str, **kw: Any) -> str:
    """The UI string ``key`` in ``lang`` (English when unknown), formatted with ``kw``."""
    en, zh = _STRINGS.get(key, (key, key))
    text = zh if lang == "zh" else en
    return text.format(**kw) if kw else text


def has(key: str) -> bool:
    return key in _STRINGS
