//! Vector indexes (the 2026 API): what a table's vector index is, as persisted with the table's
//! metadata. Like the rest of `model`, these types derive serde only for the `tables.meta`
//! column; the wire shapes are rendered by `ops`. Depends on nothing above `model`.
use super::schema::{KeyAttr, Projection};
use serde::{Deserialize, Serialize};

/// How a vector index scores an item against the search vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Distance {
    /// 1 - cosine similarity: 0 (same direction) to 2 (opposite); smallest first.
    Cosine,
    /// The Euclidean distance; smallest first.
    Euclidean,
    /// The dot product; largest first.
    DotProduct,
}

impl Distance {
    pub fn as_str(self) -> &'static str {
        match self {
            Distance::Cosine => "COSINE",
            Distance::Euclidean => "EUCLIDEAN",
            Distance::DotProduct => "DOT_PRODUCT",
        }
    }
    pub fn parse(s: &str) -> Option<Distance> {
        match s {
            "COSINE" => Some(Distance::Cosine),
            "EUCLIDEAN" => Some(Distance::Euclidean),
            "DOT_PRODUCT" => Some(Distance::DotProduct),
            _ => None,
        }
    }
}

/// A vector index: the attribute holding each item's vector, its dimensions and distance, the
/// SearchSchema (an optional partition attribute a search must fix by equality, and inline
/// filter attributes it may), and what the index projects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorIndexDef {
    pub name: String,
    pub attribute: String,
    pub dimensions: usize,
    pub distance: Distance,
    /// The SearchSchema's HASH element, typed by its AttributeDefinition.
    pub partition: Option<KeyAttr>,
    /// The SearchSchema's INLINE_FILTER elements, typed likewise, in the client's order.
    pub filters: Vec<KeyAttr>,
    /// The SearchSchema as given (element order echoed by DescribeTable).
    pub search_schema: Vec<(String, String)>,
    pub projection: Projection,
    /// `ACTIVE`, or `CREATING` while UpdateTable reports a new index.
    pub status: String,
    pub backfilling: bool,
}

impl VectorIndexDef {
    /// Whether the index holds `name` beside the table key: the vector, the search schema's
    /// attributes and the projection's (every attribute for ALL).
    pub fn projects(&self, name: &str) -> bool {
        use super::schema::ProjectionType;
        name == self.attribute
            || self.search_schema.iter().any(|(a, _)| a == name)
            || match self.projection.ty {
                ProjectionType::All => true,
                ProjectionType::KeysOnly => false,
                ProjectionType::Include => self
                    .projection
                    .non_key_attributes
                    .iter()
                    .flatten()
                    .any(|a| a == name),
            }
    }
}
