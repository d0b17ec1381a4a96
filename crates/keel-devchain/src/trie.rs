//! A persistent Merkle-Patricia trie over 32-byte hashed keys, with each node's RLP
//! reference cached, so that a root after a few changes costs only the changed paths.
//!
//! Design: nodes are shared through `Arc`, so cloning a trie (a block's post-state starts as
//! its parent's) costs one reference count. A write copies only the nodes on its path (the
//! others stay shared with the parent) and clears their cached RLP; the root then rehashes
//! exactly those nodes. The trie is always kept in canonical form (no branch with fewer than
//! two children, no extension over an extension or a leaf), which is what makes its root
//! equal to the root of any other Ethereum trie over the same leaves; the node encodings are
//! alloy-trie's own (`LeafNodeRef`, `ExtensionNodeRef`, `BranchNodeRef`).
//!
//! Keys are always 64 nibbles (a keccak-256 hash), as in the account and storage tries, so
//! no key is a prefix of another and branch nodes never carry a value.
//!
//! Spec: Ethereum yellow paper, appendix D (modified Merkle-Patricia trie).

use std::{
    fmt,
    sync::{Arc, OnceLock},
};

use alloy_primitives::{B256, keccak256};
use alloy_trie::{
    EMPTY_ROOT_HASH, Nibbles, TrieMask,
    nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode},
};

/// A value stored in a trie leaf: it knows its RLP encoding (the leaf's value bytes).
pub(crate) trait TrieValue: Clone {
    /// Appends the value's RLP encoding to `out`.
    fn encode_value(&self, out: &mut Vec<u8>);
}

/// The persistent trie. Cloning is O(1); the clones share every node until one writes.
pub(crate) struct Trie<V> {
    root: Option<Arc<Node<V>>>,
    len: usize,
}

type Children<V> = [Option<Arc<Node<V>>>; 16];

#[derive(Clone)]
struct Node<V> {
    kind: Kind<V>,
    /// The node's reference as its parent embeds it (the RLP if under 32 bytes, else the
    /// RLP of its hash); empty until computed and whenever the node changed since.
    rlp: OnceLock<RlpNode>,
}

#[derive(Clone)]
enum Kind<V> {
    /// The rest of the key and the value.
    Leaf { key: Nibbles, value: V },
    /// A shared key segment leading to a branch.
    Extension { key: Nibbles, child: Arc<Node<V>> },
    /// One child per next nibble.
    Branch { children: Children<V> },
}

impl<V> Node<V> {
    fn new(kind: Kind<V>) -> Self {
        Self {
            kind,
            rlp: OnceLock::new(),
        }
    }
}

impl<V> Clone for Trie<V> {
    fn clone(&self) -> Self {
        Self {
            root: self.root.clone(),
            len: self.len,
        }
    }
}

impl<V> Default for Trie<V> {
    fn default() -> Self {
        Self { root: None, len: 0 }
    }
}

impl<V> fmt::Debug for Trie<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trie").field("len", &self.len).finish()
    }
}

impl<V: TrieValue> Trie<V> {
    /// An empty trie.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    /// The value at `key`.
    pub(crate) fn get(&self, key: &B256) -> Option<&V> {
        let path = Nibbles::unpack(key);
        let mut depth = 0;
        let mut node = self.root.as_deref()?;
        loop {
            match &node.kind {
                Kind::Leaf { key, value } => {
                    return (*key == path.slice(depth..)).then_some(value);
                }
                Kind::Extension { key, child } => {
                    if !path.slice(depth..).starts_with(key) {
                        return None;
                    }
                    depth += key.len();
                    node = child;
                }
                Kind::Branch { children } => {
                    let nibble = path.get(depth)?;
                    node = children.get(usize::from(nibble))?.as_deref()?;
                    depth += 1;
                }
            }
        }
    }

    /// The value at `key`, for writing: copies the nodes on its path that are shared with
    /// another trie and forgets their cached hashes. Nothing is copied when `key` is absent.
    pub(crate) fn get_mut(&mut self, key: &B256) -> Option<&mut V> {
        self.get(key)?;
        get_mut_in(self.root.as_mut()?, Nibbles::unpack(key))
    }

    /// Sets `key` to `value`; returns the previous value.
    pub(crate) fn insert(&mut self, key: B256, value: V) -> Option<V> {
        let old = match self.root.as_mut() {
            Some(root) => insert_in(root, Nibbles::unpack(key), value),
            None => {
                self.root = Some(leaf(Nibbles::unpack(key), value));
                None
            }
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes `key`; returns its value. Branches left with one child collapse into their
    /// child (extended by the branch's nibble), as the canonical trie requires.
    pub(crate) fn remove(&mut self, key: &B256) -> Option<V> {
        // Only walk (and copy) a path that ends at the key, so every node the removal
        // rebuilds really changed.
        self.get(key)?;
        let root = self.root.take()?;
        let (rest, removed) = remove_in(Arc::unwrap_or_clone(root), Nibbles::unpack(key));
        self.root = rest.map(Arc::new);
        if removed.is_some() {
            self.len = self.len.saturating_sub(1);
        }
        removed
    }

    /// The root hash (the empty-trie root when empty). Rehashes only nodes changed since
    /// their hash was last computed.
    pub(crate) fn root(&self) -> B256 {
        let Some(root) = &self.root else {
            return EMPTY_ROOT_HASH;
        };
        let mut buf = Vec::with_capacity(1024);
        let node = rlp_node(root, &mut buf);
        // A root under 32 bytes is embedded in its reference; the root hash is still the
        // hash of its RLP.
        node.as_hash().unwrap_or_else(|| keccak256(node.as_slice()))
    }

    /// The values in key order.
    pub(crate) fn values(&self) -> Values<'_, V> {
        Values {
            stack: self.root.as_deref().into_iter().collect(),
        }
    }
}

/// Iterator over a trie's values in key order.
pub(crate) struct Values<'a, V> {
    stack: Vec<&'a Node<V>>,
}

impl<'a, V> Iterator for Values<'a, V> {
    type Item = &'a V;

    fn next(&mut self) -> Option<&'a V> {
        while let Some(node) = self.stack.pop() {
            match &node.kind {
                Kind::Leaf { value, .. } => return Some(value),
                Kind::Extension { child, .. } => self.stack.push(child),
                Kind::Branch { children } => self
                    .stack
                    .extend(children.iter().rev().filter_map(|c| c.as_deref())),
            }
        }
        None
    }
}

fn leaf<V>(key: Nibbles, value: V) -> Arc<Node<V>> {
    Arc::new(Node::new(Kind::Leaf { key, value }))
}

/// The node behind `arc` for writing: unshared (copied if another trie holds it) and with
/// its cached hash forgotten.
fn writable<V: Clone>(arc: &mut Arc<Node<V>>) -> &mut Node<V> {
    let node = Arc::make_mut(arc);
    node.rlp = OnceLock::new();
    node
}

fn get_mut_in<V: Clone>(arc: &mut Arc<Node<V>>, path: Nibbles) -> Option<&mut V> {
    match &mut writable(arc).kind {
        Kind::Leaf { key, value } => (*key == path).then_some(value),
        Kind::Extension { key, child } => {
            if path.starts_with(key) {
                get_mut_in(child, path.slice(key.len()..))
            } else {
                None
            }
        }
        Kind::Branch { children } => {
            let child = children.get_mut(usize::from(path.first()?))?.as_mut()?;
            get_mut_in(child, path.slice(1..))
        }
    }
}

fn insert_in<V: Clone>(arc: &mut Arc<Node<V>>, path: Nibbles, value: V) -> Option<V> {
    let node = writable(arc);
    match &mut node.kind {
        Kind::Leaf { key, value: old } if *key == path => {
            return Some(std::mem::replace(old, value));
        }
        Kind::Extension { key, child } if path.starts_with(key) => {
            return insert_in(child, path.slice(key.len()..), value);
        }
        Kind::Branch { children } => {
            // Keys have one length, so a path reaching a branch has a nibble left.
            let nibble = path.first()?;
            let slot = children.get_mut(usize::from(nibble))?;
            return match slot {
                Some(child) => insert_in(child, path.slice(1..), value),
                None => {
                    *slot = Some(leaf(path.slice(1..), value));
                    None
                }
            };
        }
        _ => {}
    }
    // A leaf with another key, or an extension the path leaves: split at the first
    // differing nibble into a branch holding both sides.
    let old = std::mem::replace(
        &mut node.kind,
        Kind::Branch {
            children: Default::default(),
        },
    );
    node.kind = split(old, path, value);
    None
}

fn split<V>(old: Kind<V>, path: Nibbles, value: V) -> Kind<V> {
    let (old_key, old_side) = match old {
        Kind::Leaf { key, value } => (key, SplitSide::Leaf(value)),
        Kind::Extension { key, child } => (key, SplitSide::Extension(child)),
        // Not reached: branches never split (insert_in descends into them).
        branch @ Kind::Branch { .. } => return branch,
    };
    let common = old_key.common_prefix_length(&path);
    let mut children: Children<V> = Default::default();
    let old_rest = old_key.slice(common.saturating_add(1)..);
    let old_node = match old_side {
        SplitSide::Leaf(v) => leaf(old_rest, v),
        SplitSide::Extension(child) if old_rest.is_empty() => child,
        SplitSide::Extension(child) => Arc::new(Node::new(Kind::Extension {
            key: old_rest,
            child,
        })),
    };
    for (nibble, node) in [
        (old_key.get(common), old_node),
        (
            path.get(common),
            leaf(path.slice(common.saturating_add(1)..), value),
        ),
    ] {
        if let Some(slot) = nibble.and_then(|n| children.get_mut(usize::from(n))) {
            *slot = Some(node);
        }
    }
    under_prefix(old_key.slice(..common), Kind::Branch { children })
}

enum SplitSide<V> {
    Leaf(V),
    Extension(Arc<Node<V>>),
}

/// `branch` reached through `prefix`: the branch itself, or an extension over it.
fn under_prefix<V>(prefix: Nibbles, branch: Kind<V>) -> Kind<V> {
    if prefix.is_empty() {
        branch
    } else {
        Kind::Extension {
            key: prefix,
            child: Arc::new(Node::new(branch)),
        }
    }
}

/// Removes `path` (known present) from `node`; returns what remains of the node (`None`
/// when nothing does) and the removed value.
fn remove_in<V: Clone>(node: Node<V>, path: Nibbles) -> (Option<Node<V>>, Option<V>) {
    match node.kind {
        Kind::Leaf { key, value } if key == path => (None, Some(value)),
        Kind::Extension { key, child } if path.starts_with(&key) => {
            let (rest, removed) = remove_in(Arc::unwrap_or_clone(child), path.slice(key.len()..));
            // The child was a branch; what remains of it is a branch or a collapsed node,
            // which the extension's key now prefixes.
            (rest.map(|n| prefixed(key, Arc::new(n))), removed)
        }
        Kind::Branch { mut children } => {
            let Some(slot) = path.first().and_then(|n| children.get_mut(usize::from(n))) else {
                return (Some(Node::new(Kind::Branch { children })), None);
            };
            let Some(child) = slot.take() else {
                return (Some(Node::new(Kind::Branch { children })), None);
            };
            let (rest, removed) = remove_in(Arc::unwrap_or_clone(child), path.slice(1..));
            *slot = rest.map(Arc::new);
            let mut left = children.iter_mut().enumerate().filter(|(_, c)| c.is_some());
            let only = match (left.next(), left.next()) {
                (Some((nibble, only)), None) => only.take().map(|c| (nibble, c)),
                (None, _) => return (None, removed),
                _ => None,
            };
            match only {
                Some((nibble, child)) => {
                    let mut prefix = Nibbles::new();
                    // `nibble` is an index into 16 children.
                    prefix.push(u8::try_from(nibble).unwrap_or_default());
                    (Some(prefixed(prefix, child)), removed)
                }
                None => (Some(Node::new(Kind::Branch { children })), removed),
            }
        }
        kind => (Some(Node::new(kind)), None),
    }
}

/// `child` reached through `prefix`, in canonical form: a leaf or extension absorbs the
/// prefix into its key; a branch gets an extension over it.
fn prefixed<V: Clone>(prefix: Nibbles, child: Arc<Node<V>>) -> Node<V> {
    if prefix.is_empty() {
        return Arc::unwrap_or_clone(child);
    }
    if matches!(child.kind, Kind::Branch { .. }) {
        return Node::new(Kind::Extension { key: prefix, child });
    }
    match Arc::unwrap_or_clone(child).kind {
        Kind::Leaf { key, value } => Node::new(Kind::Leaf {
            key: prefix.join(&key),
            value,
        }),
        Kind::Extension { key, child } => Node::new(Kind::Extension {
            key: prefix.join(&key),
            child,
        }),
        branch @ Kind::Branch { .. } => Node::new(Kind::Extension {
            key: prefix,
            child: Arc::new(Node::new(branch)),
        }),
    }
}

/// The node's reference (computed once, then cached until the node changes).
fn rlp_node<V: TrieValue>(node: &Node<V>, buf: &mut Vec<u8>) -> RlpNode {
    node.rlp
        .get_or_init(|| match &node.kind {
            Kind::Leaf { key, value } => {
                let mut encoded = Vec::with_capacity(128);
                value.encode_value(&mut encoded);
                buf.clear();
                LeafNodeRef::new(key, &encoded).rlp(buf)
            }
            Kind::Extension { key, child } => {
                let child = rlp_node(child, buf);
                buf.clear();
                ExtensionNodeRef::new(key, child.as_slice()).rlp(buf)
            }
            Kind::Branch { children } => {
                let mut stack = Vec::with_capacity(16);
                let mut mask = TrieMask::default();
                for (nibble, child) in (0u8..).zip(children) {
                    if let Some(child) = child {
                        stack.push(rlp_node(child, buf));
                        mask.set_bit(nibble);
                    }
                }
                buf.clear();
                BranchNodeRef::new(&stack, mask).rlp(buf)
            }
        })
        .clone()
}

#[cfg(test)]
#[path = "trie_tests.rs"]
mod tests;
