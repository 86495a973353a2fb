//! The model files shipped in `models/`, compiled in: callers without a
//! netlist (the Python package's `Crossbar(model="tio2x")`) name a model
//! and get the library text that defines it, to elaborate as if included.

/// Each shipped library: its file name and text.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "tio2x_nili2020.lib",
        include_str!("../../models/tio2x_nili2020.lib"),
    ),
    (
        "tio2x_nili2020_table.lib",
        include_str!("../../models/tio2x_nili2020_table.lib"),
    ),
    (
        "hfox_chen_quantized.lib",
        include_str!("../../models/hfox_chen_quantized.lib"),
    ),
    (
        "tio2x_diao_4terminal.lib",
        include_str!("../../models/tio2x_diao_4terminal.lib"),
    ),
];

/// The model names a shipped library defines (`.model NAME ...` lines).
pub fn names(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|l| {
        let mut w = l.split_whitespace();
        match (w.next(), w.next()) {
            (Some(d), Some(name)) if d.eq_ignore_ascii_case(".model") => Some(name),
            _ => None,
        }
    })
}

/// The shipped library (file name, text) that defines model `name`
/// (case-insensitive).
pub fn find(name: &str) -> Option<(&'static str, &'static str)> {
    SHIPPED
        .iter()
        .find(|(_, text)| names(text).any(|n| n.eq_ignore_ascii_case(name)))
        .copied()
}

/// Every model name the shipped libraries define, in file order.
pub fn all_names() -> Vec<&'static str> {
    SHIPPED.iter().flat_map(|(_, t)| names(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_file_is_listed_and_models_resolve() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".lib"))
            .collect();
        files.sort();
        let mut listed: Vec<String> = SHIPPED.iter().map(|(f, _)| f.to_string()).collect();
        listed.sort();
        assert_eq!(files, listed);
        assert_eq!(find("TIO2X").unwrap().0, "tio2x_nili2020.lib");
        assert_eq!(find("tio2x_table").unwrap().0, "tio2x_nili2020_table.lib");
        assert!(find("nope").is_none());
        assert!(all_names().contains(&"hfox"));
    }
}
