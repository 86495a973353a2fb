//! Node interning. Ground is node 0 (`0`, alias `gnd`).

use indexmap::IndexSet;
use rustc_hash::FxBuildHasher;

/// A node of the circuit. `NodeId::GROUND` is the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    pub const GROUND: NodeId = NodeId(0);
    pub fn idx(self) -> usize {
        self.0 as usize
    }
    pub fn is_ground(self) -> bool {
        self.0 == 0
    }
}

/// Interned node names (one copy each), and for every node the card that
/// first mentioned it (for error messages).
#[derive(Debug, Clone)]
pub struct Nodes {
    names: IndexSet<Box<str>, FxBuildHasher>,
    first_card: Vec<u32>,
    card: u32,
    /// Other names of existing nodes (a crossbar line with zero resistance
    /// merges its nodes; each keeps its contract name).
    aliases: rustc_hash::FxHashMap<Box<str>, NodeId>,
    alias_list: Vec<(Box<str>, NodeId)>,
}

impl Default for Nodes {
    fn default() -> Self {
        let mut names = IndexSet::with_hasher(FxBuildHasher);
        names.insert("0".into());
        Nodes {
            names,
            first_card: vec![u32::MAX],
            card: u32::MAX,
            aliases: Default::default(),
            alias_list: Vec::new(),
        }
    }
}

/// Names of ground besides `0`: ngspice's `gnd` and HSPICE's global `gnd!`.
pub fn is_ground_alias(name: &str) -> bool {
    matches!(name, "gnd" | "gnd!")
}

impl Nodes {
    /// The node called `name` (lower-case), created if new. `gnd` (and
    /// `gnd!`) is ground.
    pub fn intern(&mut self, name: &str) -> NodeId {
        if is_ground_alias(name) {
            return NodeId::GROUND;
        }
        if !self.aliases.is_empty() {
            if let Some(&id) = self.aliases.get(name) {
                return id;
            }
        }
        if let Some(i) = self.names.get_index_of(name) {
            return NodeId(i as u32);
        }
        let (i, _) = self.names.insert_full(name.into());
        self.first_card.push(self.card);
        NodeId(i as u32)
    }
    /// Nodes created from now on were first mentioned by card `k`.
    pub fn set_card(&mut self, k: u32) {
        self.card = k;
    }
    /// The card that first mentioned `id` (`u32::MAX` for ground or generated nodes).
    pub fn first_card(&self, id: NodeId) -> u32 {
        self.first_card[id.idx()]
    }
    pub fn get(&self, name: &str) -> Option<NodeId> {
        if is_ground_alias(name) {
            return Some(NodeId::GROUND);
        }
        if let Some(&id) = self.aliases.get(name) {
            return Some(id);
        }
        self.names.get_index_of(name).map(|i| NodeId(i as u32))
    }
    pub fn name(&self, id: NodeId) -> &str {
        &self.names[id.idx()]
    }
    /// Make `name` another name of node `to`. False if `name` is already a node or alias.
    pub fn alias(&mut self, name: &str, to: NodeId) -> bool {
        if is_ground_alias(name) || self.names.contains(name) || self.aliases.contains_key(name) {
            return false;
        }
        self.aliases.insert(name.into(), to);
        self.alias_list.push((name.into(), to));
        true
    }
    /// All aliases, in creation order.
    pub fn aliases(&self) -> &[(Box<str>, NodeId)] {
        &self.alias_list
    }
    /// Number of nodes including ground.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.len() <= 1
    }
    /// Reserve room for `n` more nodes.
    pub fn reserve(&mut self, n: usize) {
        self.names.reserve(n);
        self.first_card.reserve(n);
    }
}
