//! A top-level JSON array read one element at a time: a saved scan or an
//! inventory export may be hundreds of megabytes, and holding it as one
//! `Vec<Value>` would cost several times that.

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::Value;

/// Deserialises an array from `de`, calling `each` with every element and
/// its 1-based position as it is parsed. `expecting` names the array in the
/// error of an input that is not one.
pub(crate) fn each_element<'de, D: Deserializer<'de>>(
    de: D,
    expecting: &'static str,
    each: &mut dyn FnMut(usize, Value),
) -> Result<(), D::Error> {
    de.deserialize_seq(Elements { expecting, each })
}

struct Elements<'f> {
    expecting: &'static str,
    each: &'f mut dyn FnMut(usize, Value),
}

impl<'de> Visitor<'de> for Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut position = 0usize;
        while let Some(value) = seq.next_element::<Value>()? {
            position += 1;
            (self.each)(position, value);
        }
        Ok(())
    }
}
