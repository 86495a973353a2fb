//! Binary digit images with labels and a fixed train/test split, read from
//! the committed CSVs of `data/` (`uci_digits_8x8.csv`, `mnist_8x8.csv`;
//! `data/README.md` gives their source, licence and derivation).
//!
//! Format: a header `index,label,split,p0,...,p<n−1>`, then one image per
//! line: its row in the source file, its class (0, 1, …), `train` or `test`,
//! and n pixels, each 0 or 1. On a crossbar, pixel x_i drives row i at
//! x_i·v_read.

use std::path::Path;

/// Why a data file was refused. The message (`Display`) names the file and
/// the line, and the column where one field is at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be read (missing, a directory, too large, …).
    #[error(transparent)]
    Read(#[from] crate::netlist::source::InputError),
    /// No header: the file is empty or blank.
    #[error("{name}: empty file (expected a header index,label,split,p0,...)")]
    Empty { name: String },
    /// The first non-blank line is not `index,label,split,p0,p1,...`.
    #[error("{name}:1: expected the header index,label,split,p0,p1,... (see data/README.md)")]
    Header { name: String },
    /// A line with a field count other than the header's.
    #[error("{name}:{line}: expected {} fields (index, label, split, {inputs} pixels), found {found}", .inputs + 3)]
    FieldCount {
        name: String,
        line: usize,
        inputs: usize,
        found: usize,
    },
    /// An index that is not a whole number (0 ..= 2³²−1).
    #[error("{name}:{line}:{col}: index '{value}' is not a whole number")]
    Index {
        name: String,
        line: usize,
        col: usize,
        value: String,
    },
    /// A label that is not a class 0..63.
    #[error("{name}:{line}:{col}: label '{value}' is not a class 0..63")]
    Label {
        name: String,
        line: usize,
        col: usize,
        value: String,
    },
    /// A split other than `train` or `test`.
    #[error("{name}:{line}:{col}: split '{value}' is neither train nor test")]
    Split {
        name: String,
        line: usize,
        col: usize,
        value: String,
    },
    /// A pixel other than 0 or 1.
    #[error("{name}:{line}:{col}: pixel '{value}' is not 0 or 1")]
    Pixel {
        name: String,
        line: usize,
        col: usize,
        value: String,
    },
    /// A header but no image lines.
    #[error("{name}: no images")]
    NoImages { name: String },
    /// All images in one split.
    #[error("{name}: needs images in both the train and the test split")]
    OneSplit { name: String },
    /// The CSV reader failed (not expected on text already in memory).
    #[error("{name}: {source}")]
    Csv {
        name: String,
        #[source]
        source: csv::Error,
    },
}

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
    pub fn load(path: &Path) -> Result<Digits, DataError> {
        let (text, _) = crate::netlist::source::read_input(path, false)?;
        // A byte-order mark (spreadsheet exports) is not part of the header.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        Digits::parse(text, &path.display().to_string())
    }

    /// Parse the text of a data file (`name` is used in errors).
    ///
    /// One record per line (`\n`; a `\r` before it is blank space): fields
    /// split at every comma (no quoting), each trimmed of white space;
    /// blank lines are skipped but counted in line numbers.
    pub fn parse(text: &str, name: &str) -> Result<Digits, DataError> {
        // The reader drops a byte-order mark; here it is part of line 1 (only
        // `load` removes it), so that line is not the header.
        if text.starts_with('\u{feff}') {
            return Err(DataError::Header {
                name: name.to_string(),
            });
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .quoting(false)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(text.as_bytes());
        let mut rec = csv::StringRecord::new();
        // Line numbers are counted here: the reader skips empty lines before
        // a record and reports the record where it started looking.
        let (mut line, mut counted_to) = (1usize, 0usize);
        let mut d: Option<Digits> = None;
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(source) => {
                    return Err(DataError::Csv {
                        name: name.to_string(),
                        source,
                    })
                }
            }
            let mut at = rec.position().map_or(0, |p| p.byte() as usize);
            let bytes = text.as_bytes();
            while bytes.get(at) == Some(&b'\n') {
                at += 1;
            }
            if at > counted_to {
                line += bytes[counted_to..at]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                counted_to = at;
            }
            // A line of white space only (one field: it has no comma).
            if rec.len() <= 1 && rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let Some(d) = d.as_mut() else {
                d = Some(Digits::header(&rec, name)?);
                continue;
            };
            d.push(&rec, name, line)?;
        }
        let d = d.ok_or_else(|| DataError::Empty {
            name: name.to_string(),
        })?;
        if d.labels.is_empty() {
            return Err(DataError::NoImages {
                name: name.to_string(),
            });
        }
        if !d.test.iter().any(|&t| t) || d.test.iter().all(|&t| t) {
            return Err(DataError::OneSplit {
                name: name.to_string(),
            });
        }
        Ok(d)
    }

    /// An empty set with the pixel count of header record `h`.
    fn header(h: &csv::StringRecord, name: &str) -> Result<Digits, DataError> {
        let h: Vec<&str> = h.iter().map(str::trim).collect();
        let inputs = h.len().saturating_sub(3);
        let pixel_names_ok = h
            .iter()
            .skip(3)
            .enumerate()
            .all(|(k, c)| *c == format!("p{k}"));
        if h.len() < 4 || h[..3] != ["index", "label", "split"] || !pixel_names_ok {
            return Err(DataError::Header {
                name: name.to_string(),
            });
        }
        Ok(Digits {
            inputs,
            classes: 0,
            pixels: Vec::new(),
            labels: Vec::new(),
            test: Vec::new(),
            index: Vec::new(),
        })
    }

    /// Append the image of record `rec`, on line `line` of file `name`.
    fn push(&mut self, rec: &csv::StringRecord, name: &str, line: usize) -> Result<(), DataError> {
        let inputs = self.inputs;
        if rec.len() != inputs + 3 {
            return Err(DataError::FieldCount {
                name: name.to_string(),
                line,
                inputs,
                found: rec.len(),
            });
        }
        // 1-based character column of field `field`, and its trimmed text.
        let at = |field: usize| {
            let col = 1 + rec
                .iter()
                .take(field)
                .map(|f| f.chars().count() + 1)
                .sum::<usize>();
            (name.to_string(), col, rec[field].trim().to_string())
        };
        let f = |k: usize| rec[k].trim();
        let index: u32 = f(0).parse().map_err(|_| {
            let (name, col, value) = at(0);
            DataError::Index {
                name,
                line,
                col,
                value,
            }
        })?;
        let label: u8 = f(1).parse().ok().filter(|&l: &u8| l < 64).ok_or_else(|| {
            let (name, col, value) = at(1);
            DataError::Label {
                name,
                line,
                col,
                value,
            }
        })?;
        let test = match f(2) {
            "train" => false,
            "test" => true,
            _ => {
                let (name, col, value) = at(2);
                return Err(DataError::Split {
                    name,
                    line,
                    col,
                    value,
                });
            }
        };
        for k in 3..rec.len() {
            match f(k) {
                "0" => self.pixels.push(0),
                "1" => self.pixels.push(1),
                _ => {
                    let (name, col, value) = at(k);
                    return Err(DataError::Pixel {
                        name,
                        line,
                        col,
                        value,
                    });
                }
            }
        }
        self.index.push(index);
        self.labels.push(label);
        self.test.push(test);
        self.classes = self.classes.max(label as usize + 1);
        Ok(())
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
        assert!(
            matches!(
                e,
                DataError::Pixel {
                    line: 2,
                    col: 13,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.to_string(), "x.csv:2:13: pixel '2' is not 0 or 1");
        let e = Digits::parse("index,label,p0\n", "x.csv").unwrap_err();
        assert!(
            e.to_string().starts_with("x.csv:1: expected the header"),
            "{e}"
        );
        let e = Digits::parse("index,label,split,p0\n0,1,dev,0\n", "x.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.csv:2:5: split 'dev' is neither train nor test"
        );
    }

    #[test]
    fn lines_fields_and_blanks_are_read_as_by_str_lines() {
        // Blank and white-space lines are skipped but counted; CRLF, padded
        // fields and a last line without a newline are accepted.
        let ok = "\n \r\nindex , label,split,p0\r\n\n0, 1 ,train,1\r\n\t\n1,0,test, 0";
        let d = Digits::parse(ok, "x.csv").unwrap();
        assert_eq!((d.inputs, d.classes, d.len()), (1, 2, 2));
        assert_eq!(
            (d.pixels.clone(), d.index.clone()),
            (vec![1, 0], vec![0, 1])
        );
        let e = Digits::parse(
            "index,label,split,p0\n\n\n \n0,1,train,0\n1,x,test,1\n",
            "x.csv",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "x.csv:6:3: label 'x' is not a class 0..63");
        // No quoting: a quote is part of the field.
        let e = Digits::parse("index,label,split,p0\n0,1,train,\"1\"\n", "x.csv").unwrap_err();
        assert_eq!(e.to_string(), "x.csv:2:11: pixel '\"1\"' is not 0 or 1");
        let e = Digits::parse("index,label,split,p0\n0,1,\"a,b\",1\n", "x.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.csv:2: expected 4 fields (index, label, split, 1 pixels), found 5"
        );
        // A byte-order mark is removed by `load` only.
        let e = Digits::parse("\u{feff}index,label,split,p0\n", "x.csv").unwrap_err();
        assert!(matches!(e, DataError::Header { .. }), "{e}");
        for (text, want) in [
            (
                "",
                "x.csv: empty file (expected a header index,label,split,p0,...)",
            ),
            (
                " \n\r\n",
                "x.csv: empty file (expected a header index,label,split,p0,...)",
            ),
            ("index,label,split,p0\n", "x.csv: no images"),
            (
                "index,label,split,p0\n0,1,train,0\n",
                "x.csv: needs images in both the train and the test split",
            ),
            (
                "index,label,split,p0\n-1,1,train,0\n",
                "x.csv:2:1: index '-1' is not a whole number",
            ),
        ] {
            assert_eq!(Digits::parse(text, "x.csv").unwrap_err().to_string(), want);
        }
    }
}
