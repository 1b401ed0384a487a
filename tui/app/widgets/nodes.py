"""The Nodes pane: machines -> namespaces and containers, live from the engine.

The tree keeps its own id -> TreeNode map and updates labels in place, adding
and removing only what changed, so the cursor and the expanded state survive
every refresh. Moving the cursor onto a namespace or a container (or
selecting it) tells the screen which place the Interfaces and Routes panes
should show.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.app.lab_view import ContainerEntry, NodeEntry, NsEntry, Place

# Tree labels are Rich Text (Textual's Tree draws Text); built with Text.assemble, never from markup.


def node_label(n: NodeEntry) -> Text:
    parts: list[tuple[str, str] | str] = [(n.host, "bold")]
    if n.role:
        role = f"{n.role}{' (leader)' if n.leader else ''}"
        parts += ["  ", (role, "italic"), " ", (n.availability, "dim"), " ",
                  (n.status, "" if n.status == "ready" else "bold reverse")]
    return Text.assemble(*parts, no_wrap=True)


def ns_label(e: NsEntry) -> Text:
    return Text.assemble(("ns  ", "dim"), e.label, no_wrap=True)


def container_label(e: ContainerEntry) -> Text:
    name = e.task or e.name
    return Text.assemble(("ctr ", "dim"), (name, "bold"), " ", (e.short_id, "dim"), " ",
                         (e.state, "italic" if e.state == "running" else "bold reverse"), no_wrap=True)


class NodesPane(Vertical):
    """A tree of the lab's machines, their namespaces and containers."""

    DEFAULT_CSS = """
    NodesPane {
        & > Tree { height: 1fr; background: $surface; scrollbar-size-vertical: 1; }
    }
    """

    can_focus: ClassVar[bool] = False

    class PlaceChosen(Message):
        """The learner moved to (or selected) a namespace or container."""

        def __init__(self, place: Place) -> None:
            super().__init__()
            self.place = place

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self._tree_nodes: dict[str, TreeNode[Place | None]] = {}
        self._labels: dict[str, Any] = {}
        self._last: tuple[NodeEntry, ...] = ()
        self._quiet = False

    def compose(self) -> ComposeResult:
        tree: Tree[Place | None] = Tree("lab", id="nodes-tree")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree

    @property
    def tree(self) -> Tree[Place | None]:
        return self.query_one(Tree)

    # ---- live state ----------------------------------------------------------------------------
    def reset(self) -> None:
        """A new lab (after going back): forget every node."""
        self.tree.clear()
        self._tree_nodes.clear()
        self._labels.clear()
        self._last = ()

    def show(self, entries: list[NodeEntry]) -> None:
        """Make the tree show ``entries`` (cheap when nothing changed)."""
        snapshot = tuple(entries)
        if snapshot == self._last:
            return
        self._last = snapshot
        tree = self.tree
        wanted: set[str] = set()
        for n in entries:
            hid = f"node:{n.host}"
            wanted.add(hid)
            hnode = self._ensure(tree.root, hid, node_label(n), Place(n.host, "host"), expand=True)
            for e in n.namespaces:
                wanted.add(e.place.node_id)
                self._ensure(hnode, e.place.node_id, ns_label(e), e.place, leaf=True)
            for c in n.containers:
                wanted.add(c.place.node_id)
                self._ensure(hnode, c.place.node_id, container_label(c), c.place, leaf=True)
        for key in [k for k in self._tree_nodes if k not in wanted]:
            node = self._tree_nodes.pop(key)
            self._labels.pop(key, None)
            if node.tree is tree:
                try:
                    node.remove()
                except Exception:  # already gone with its parent
                    pass

    def _ensure(self, parent: TreeNode[Place | None], key: str, label: Text, place: Place, *,
                leaf: bool = False, expand: bool = False) -> TreeNode[Place | None]:
        node = self._tree_nodes.get(key)
        if node is None:
            node = parent.add_leaf(label, data=place) if leaf else parent.add(label, data=place, expand=expand)
            self._tree_nodes[key] = node
            self._labels[key] = label
        elif self._labels.get(key) != label:
            node.set_label(label)
            self._labels[key] = label
        return node

    def select_place(self, place: Place) -> None:
        """Move the cursor to ``place`` without announcing it (the screen already knows)."""
        node = self._tree_nodes.get(place.node_id) or self._tree_nodes.get(f"node:{place.host}")
        if node is not None:
            self._quiet = True
            try:
                self.tree.move_cursor(node)
            finally:
                self._quiet = False

    # ---- events --------------------------------------------------------------------------------
    def _chosen(self, node: TreeNode[Place | None]) -> None:
        if node.data is not None and not self._quiet:
            self.post_message(self.PlaceChosen(node.data))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Place | None]) -> None:
        event.stop()
        self._chosen(event.node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Place | None]) -> None:
        event.stop()
        self._chosen(event.node)
