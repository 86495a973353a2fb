//! Node interning. Ground is node 0 (`0`, alias `gnd`).

use std::collections::HashMap;

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

#[derive(Debug, Clone)]
pub struct Nodes {
    names: Vec<String>,
    map: HashMap<String, NodeId>,
}

impl Default for Nodes {
    fn default() -> Self {
        let mut map = HashMap::new();
        map.insert("0".to_string(), NodeId::GROUND);
        map.insert("gnd".to_string(), NodeId::GROUND);
        Nodes { names: vec!["0".to_string()], map }
    }
}

impl Nodes {
    /// The node called `name` (lower-case), created if new.
    pub fn intern(&mut self, name: &str) -> NodeId {
        if let Some(&id) = self.map.get(name) {
            return id;
        }
        let id = NodeId(self.names.len() as u32);
        self.names.push(name.to_string());
        self.map.insert(name.to_string(), id);
        id
    }
    pub fn get(&self, name: &str) -> Option<NodeId> {
        self.map.get(name).copied()
    }
    pub fn name(&self, id: NodeId) -> &str {
        &self.names[id.idx()]
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
        self.map.reserve(n);
    }
}
