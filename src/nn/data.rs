//! Binary digit images with labels and a fixed train/test split, read from
//! the committed CSVs of `data/` (`uci_digits_8x8.csv`, `mnist_8x8.csv`;
//! `data/README.md` gives their source, licence and derivation).
//!
//! Format: a header `index,label,split,p0,...,p<n−1>`, then one image per
//! line: its row in the source file, its class (0, 1, …), `train` or `test`,
//! and n pixels, each 0 or 1. On a crossbar, pixel x_i drives row i at
//! x_i·v_read.

use std::path::Path;

/// A labelled set of binary images.
#[derive(Clone, Debug, PartialEq)]
pub struct Digits {
    /// Pixels per image (64 for 8×8).
    pub inputs: usize,
    /// Number of classes: the largest label + 1.
    pub classes: usize,
    /// Image k's pixels are `pixels[k*inputs..(k+1)*inputs]`, each 0 or 1.
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    /// True for the test split.
    pub test: Vec<bool>,
    /// Row of each image in its source file.
    pub index: Vec<u32>,
}

impl Digits {
    /// Read a data file. Errors name the file and line (and column where useful).
    pub fn load(path: &Path) -> Result<Digits, String> {
        let (text, _) =
            crate::netlist::source::read_input(path, false).map_err(|e| e.to_string())?;
        // A byte-order mark (spreadsheet exports) is not part of the header.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        Digits::parse(text, &path.display().to_string())
    }

    /// Parse the text of a data file (`name` is used in errors).
    pub fn parse(text: &str, name: &str) -> Result<Digits, String> {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or_else(|| {
            format!("{name}: empty file (expected a header index,label,split,p0,...)")
        })?;
        let h: Vec<&str> = header.split(',').map(str::trim).collect();
        let inputs = h.len().saturating_sub(3);
        let pixel_names_ok = h
            .iter()
            .skip(3)
            .enumerate()
            .all(|(k, c)| *c == format!("p{k}"));
        if h.len() < 4 || h[..3] != ["index", "label", "split"] || !pixel_names_ok {
            return Err(format!(
                "{name}:1: expected the header index,label,split,p0,p1,... (see data/README.md)"
            ));
        }
        let mut d = Digits {
            inputs,
            classes: 0,
            pixels: Vec::new(),
            labels: Vec::new(),
            test: Vec::new(),
            index: Vec::new(),
        };
        for (ln, line) in lines {
            let at = |field: usize| {
                // 1-based character column of field `field`.
                let mut col = 1;
                for (k, f) in line.split(',').enumerate() {
                    if k == field {
                        break;
                    }
                    col += f.chars().count() + 1;
                }
                format!("{name}:{}:{col}", ln + 1)
            };
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            if f.len() != inputs + 3 {
                return Err(format!(
                    "{name}:{}: expected {} fields (index, label, split, {inputs} pixels), found {}",
                    ln + 1,
                    inputs + 3,
                    f.len()
                ));
            }
            let index: u32 = f[0]
                .parse()
                .map_err(|_| format!("{}: index '{}' is not a whole number", at(0), f[0]))?;
            let label: u8 = f[1]
                .parse()
                .ok()
                .filter(|&l: &u8| l < 64)
                .ok_or_else(|| format!("{}: label '{}' is not a class 0..63", at(1), f[1]))?;
            let test = match f[2] {
                "train" => false,
                "test" => true,
                other => {
                    return Err(format!(
                        "{}: split '{other}' is neither train nor test",
                        at(2)
                    ))
                }
            };
            for (k, p) in f[3..].iter().enumerate() {
                match *p {
                    "0" => d.pixels.push(0),
                    "1" => d.pixels.push(1),
                    other => return Err(format!("{}: pixel '{other}' is not 0 or 1", at(k + 3))),
                }
            }
            d.index.push(index);
            d.labels.push(label);
            d.test.push(test);
            d.classes = d.classes.max(label as usize + 1);
        }
        if d.labels.is_empty() {
            return Err(format!("{name}: no images"));
        }
        if !d.test.iter().any(|&t| t) || d.test.iter().all(|&t| t) {
            return Err(format!(
                "{name}: needs images in both the train and the test split"
            ));
        }
        Ok(d)
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of image k.
    pub fn image(&self, k: usize) -> &[u8] {
        &self.pixels[k * self.inputs..(k + 1) * self.inputs]
    }

    /// Indices of the training images, in file order.
    pub fn train_set(&self) -> Vec<usize> {
        (0..self.len()).filter(|&k| !self.test[k]).collect()
    }

    /// Indices of the test images, in file order.
    pub fn test_set(&self) -> Vec<usize> {
        (0..self.len()).filter(|&k| self.test[k]).collect()
    }

    /// Images per class among `set`.
    pub fn class_counts(&self, set: &[usize]) -> Vec<usize> {
        let mut n = vec![0; self.classes];
        for &k in set {
            n[self.labels[k] as usize] += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_locates_errors() {
        let ok = "index,label,split,p0,p1\n0,1,train,0,1\n1,0,test,1,1\n";
        let d = Digits::parse(ok, "x.csv").unwrap();
        assert_eq!((d.inputs, d.classes, d.len()), (2, 2, 2));
        assert_eq!(d.image(1), &[1, 1]);
        assert_eq!(d.test_set(), vec![1]);
        let bad = "index,label,split,p0,p1\n0,1,train,0,2\n";
        let e = Digits::parse(bad, "x.csv").unwrap_err();
        assert_eq!(e, "x.csv:2:13: pixel '2' is not 0 or 1");
        let e = Digits::parse("index,label,p0\n", "x.csv").unwrap_err();
        assert!(e.starts_with("x.csv:1: expected the header"), "{e}");
        let e = Digits::parse("index,label,split,p0\n0,1,dev,0\n", "x.csv").unwrap_err();
        assert_eq!(e, "x.csv:2:5: split 'dev' is neither train nor test");
    }
}
