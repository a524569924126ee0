//! The import graph of `src/` and `mock-amt/src/` keeps its shape: no two
//! modules import each other (directly or round a circle), and no module of
//! amtready imports one of a higher layer (`../shared/DESIGN.md`: data flows
//! one way, the protocol layer knows nothing of AMT, the rules never touch
//! the network or the reports, the CLI is wiring only).
//!
//! The graph is read from the source text, not from a compiler: every
//! `use` tree and every `crate::`/`super::`/`self::` path in code (comments,
//! strings and `#[cfg(test)]` items left out, since a test may reach where
//! the code it tests must not). A path is resolved through the modules and the
//! `pub use` re-exports it passes, so an import through a re-export counts
//! both for the module named and for the one that defines the item. Edges
//! between a module and its own ancestors are the module tree, not imports,
//! and are not counted; every other edge is lifted to the two siblings under
//! the nearest common ancestor (`rules::checks::rras → rules::policy` is
//! `rules::checks → rules::policy`), and circles are looked for among them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// amtready's top-level modules, lowest layer first. A module may import its
/// own layer or a lower one, never a higher one; a module not listed fails the
/// test, so a new one is placed on purpose.
///
/// - crate-root helpers that know nothing of a host: text, the JSON array
///   visitor, the OS vocabulary, the firmware version type, the exit codes;
/// - the protocol (`wsman`), which knows nothing of AMT, Windows or facts;
/// - the facts record, which every stage fills and every output reads;
/// - what speaks the protocol or reads a host (`amt`, `winrm`, `hostfacts`)
///   and the provisioning certificate's facts (`cert`), and DNS (`dns`):
///   they produce facts;
/// - the site file, then the rules (pure, over facts);
/// - the reports, over facts and findings;
/// - the scan, whose last stage writes through the reports (and whose resume
///   reads a saved scan with their line reader);
/// - the CLI on top.
const LAYERS: &[&[&str]] = &[
    &["text", "json_array", "os", "version", "exit"],
    &["wsman"],
    &["facts"],
    &["amt", "winrm", "hostfacts", "cert", "dns"],
    &["site_file"],
    &["rules"],
    &["report"],
    &["scan"],
    &["cli"],
];

/// mock-amt's top-level modules, lowest first: the wire helpers, the PKI and
/// TLS set-up, the profile and the configuration built from them, the classes
/// and hostile answers, the running device's state, the services over it and
/// the router in front of them, then the servers, the Windows host twin, and
/// the fleet that runs many.
const MOCK_LAYERS: &[&[&str]] = &[
    &["digest", "fault", "http", "nic", "pki", "profile"],
    &["tls"],
    &["config"],
    &["classes", "hostile"],
    &["device"],
    &["services"],
    &["router"],
    &["server", "rmcp", "winhost"],
    &["fleet"],
];

/// A class's wire enums live beside the class (DESIGN.md: "a class's enums
/// live beside it"), and the facts record is typed with them, so they are the
/// record's vocabulary as much as the class's: any layer may use them. In
/// return they import nothing but the crate-root helpers (layer 0) and each
/// other, which the test checks, so the exception cannot hide a real circle.
const VOCABULARY: &[&[&str]] = &[
    &["amt", "firmware"],
    &["amt", "host_based_setup", "values"],
    &["amt", "setup_and_configuration", "values"],
];

type ModPath = Vec<String>;

fn in_vocabulary(path: &ModPath) -> bool {
    VOCABULARY
        .iter()
        .any(|v| path.len() >= v.len() && path.iter().zip(v.iter()).all(|(a, b)| a == b))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Path,
    Punct(char),
}

/// The code of one file as tokens: comments, string and character literals
/// and lifetimes dropped, since none of them import anything.
fn tokens(src: &str) -> Vec<Tok> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if (c == 'r' || c == 'b') && raw_string_start(&chars, i).is_some() {
            let (hashes, body) = raw_string_start(&chars, i).unwrap_or((0, i));
            i = body;
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            let start = if c == 'b' { i + 1 } else { i };
            // A character literal closes within a few characters; a lifetime
            // or label does not.
            if at(start + 1) == '\\' {
                let mut j = start + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if at(start + 2) == '\'' {
                i = start + 3;
            } else {
                i = start + 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let word = word.strip_prefix("r#").map(str::to_string).unwrap_or(word);
            out.push(Tok::Ident(word));
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Tok::Path);
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    out
}

/// Where a raw string (`r"…"`, `r#"…"#`, `br"…"`) starting at `i` has its
/// body, and how many `#` close it.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    // Not the tail of an identifier (`bar"` cannot happen, `for r` can).
    if i > 0
        && chars
            .get(i - 1)
            .is_some_and(|p| p.is_alphanumeric() || *p == '_')
    {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// One module as read: its own code, its child modules, the paths it uses
/// and the names it re-exports.
#[derive(Debug, Default)]
struct Module {
    file: PathBuf,
    children: BTreeSet<String>,
    /// Paths as written, relative to this module.
    uses: Vec<Vec<String>>,
    /// `pub use` names: the name and the path it stands for, as written.
    reexports: BTreeMap<String, Vec<String>>,
    /// `pub use path::*`.
    globs: Vec<Vec<String>>,
}

struct Reader<'a> {
    toks: &'a [Tok],
    i: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i)
    }
    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.i + k)
    }
    fn ident_at(&self, k: usize) -> Option<&str> {
        match self.peek_at(k) {
            Some(Tok::Ident(s)) => Some(s),
            _ => None,
        }
    }
    fn punct_at(&self, k: usize, c: char) -> bool {
        self.peek_at(k) == Some(&Tok::Punct(c))
    }

    /// Skips one item: to its `;` or the end of its first top-level block,
    /// whichever comes first.
    fn skip_item(&mut self) {
        let mut depth = 0i32;
        while let Some(tok) = self.peek().cloned() {
            self.i += 1;
            match tok {
                Tok::Punct('(' | '[') => depth += 1,
                Tok::Punct(')' | ']') => depth -= 1,
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                Tok::Punct(';') if depth == 0 => return,
                _ => {}
            }
        }
    }

    /// An attribute starting at `#`; returns its tokens' text.
    fn attribute(&mut self) -> String {
        // `#`, optional `!`, then a bracketed group.
        self.i += 1;
        if self.punct_at(0, '!') {
            self.i += 1;
        }
        let mut text = String::new();
        let mut depth = 0;
        while let Some(tok) = self.peek().cloned() {
            self.i += 1;
            match &tok {
                Tok::Punct('[') => {
                    depth += 1;
                    if depth == 1 {
                        continue;
                    }
                }
                Tok::Punct(']') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            match tok {
                Tok::Ident(s) => text.push_str(&s),
                Tok::Path => text.push_str("::"),
                Tok::Punct(c) => text.push(c),
            }
        }
        text
    }

    /// A `use` tree, after `use`: each leaf path, with the name it binds
    /// (`None` for a glob).
    fn use_tree(&mut self, prefix: &[String], out: &mut Vec<(Vec<String>, Option<String>)>) {
        let mut path = prefix.to_vec();
        loop {
            match self.peek().cloned() {
                Some(Tok::Punct('{')) => {
                    self.i += 1;
                    loop {
                        if self.punct_at(0, '}') {
                            self.i += 1;
                            break;
                        }
                        if self.peek().is_none() {
                            return;
                        }
                        self.use_tree(&path, out);
                        if self.punct_at(0, ',') {
                            self.i += 1;
                        }
                    }
                    return;
                }
                Some(Tok::Punct('*')) => {
                    self.i += 1;
                    out.push((path, None));
                    return;
                }
                Some(Tok::Ident(name)) => {
                    self.i += 1;
                    if self.peek() == Some(&Tok::Path) {
                        self.i += 1;
                        path.push(name);
                        continue;
                    }
                    let mut bound = name.clone();
                    if name == "self" {
                        bound = path.last().cloned().unwrap_or_default();
                    } else {
                        path.push(name);
                    }
                    if self.ident_at(0) == Some("as") {
                        bound = self.ident_at(1).unwrap_or("_").to_string();
                        self.i += 2;
                    }
                    out.push((path, Some(bound)));
                    return;
                }
                Some(Tok::Path) => {
                    // A leading `::` names an external crate.
                    self.i += 1;
                    path.push("::".into());
                }
                _ => return,
            }
        }
    }
}

/// Reads the items of one module (a file, or an inline `mod x { … }`) from
/// `r` until its closing brace; inline modules become modules of their own.
fn read_items(
    r: &mut Reader<'_>,
    path: &ModPath,
    file: &Path,
    modules: &mut BTreeMap<ModPath, Module>,
    test_children: &mut BTreeSet<ModPath>,
) {
    modules.entry(path.clone()).or_default().file = file.to_path_buf();
    let mut test_next = false;
    let mut public = false;
    let mut depth = 0i32;
    while let Some(tok) = r.peek().cloned() {
        match tok {
            Tok::Punct('#') => {
                let attr = r.attribute();
                if attr == "cfg(test)" || attr.starts_with("cfg(all(test") {
                    test_next = true;
                }
                continue;
            }
            Tok::Punct('}') if depth == 0 => {
                r.i += 1;
                return;
            }
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => depth -= 1,
            Tok::Ident(ref w) if w == "pub" => {
                public = true;
                r.i += 1;
                if r.punct_at(0, '(') {
                    while r.peek().is_some() && !r.punct_at(0, ')') {
                        r.i += 1;
                    }
                    r.i += 1;
                }
                continue;
            }
            _ => {}
        }
        if test_next {
            // The item the attribute is on. A declared test module's file is
            // left out too.
            if r.ident_at(0) == Some("mod") && r.punct_at(2, ';') {
                let mut child = path.clone();
                child.push(r.ident_at(1).unwrap_or("").to_string());
                test_children.insert(child);
            }
            r.skip_item();
            test_next = false;
            public = false;
            continue;
        }
        match r.ident_at(0) {
            Some("mod") if depth == 0 => {
                let name = r.ident_at(1).unwrap_or("").to_string();
                let module = modules.entry(path.clone()).or_default();
                module.children.insert(name.clone());
                if r.punct_at(2, ';') {
                    r.i += 3;
                } else if r.punct_at(2, '{') {
                    r.i += 3;
                    let mut inner = path.clone();
                    inner.push(name);
                    read_items(r, &inner, file, modules, test_children);
                } else {
                    r.i += 1;
                }
                public = false;
                continue;
            }
            Some("use") => {
                r.i += 1;
                let mut leaves = Vec::new();
                r.use_tree(&[], &mut leaves);
                let module = modules.entry(path.clone()).or_default();
                for (leaf, bound) in leaves {
                    if public && depth == 0 {
                        match &bound {
                            Some(name) => {
                                module.reexports.insert(name.clone(), leaf.clone());
                            }
                            None => module.globs.push(leaf.clone()),
                        }
                    }
                    module.uses.push(leaf);
                }
                public = false;
                continue;
            }
            Some(root @ ("crate" | "super" | "self")) if r.peek_at(1) == Some(&Tok::Path) => {
                // A path in code; `$crate` in a macro is the crate too.
                let mut segs = vec![root.to_string()];
                r.i += 1;
                while r.peek() == Some(&Tok::Path) {
                    match r.ident_at(1) {
                        Some(seg) => {
                            segs.push(seg.to_string());
                            r.i += 2;
                        }
                        None => break,
                    }
                }
                modules.entry(path.clone()).or_default().uses.push(segs);
                public = false;
                continue;
            }
            _ => {}
        }
        if !matches!(r.peek(), Some(Tok::Ident(w)) if w == "pub") {
            public = false;
        }
        r.i += 1;
    }
}

/// Reads a crate from its root file, following `mod x;` to files.
fn read_crate(root: &Path) -> BTreeMap<ModPath, Module> {
    let mut modules = BTreeMap::new();
    let mut test_children = BTreeSet::new();
    let mut todo: Vec<(ModPath, PathBuf)> = vec![(Vec::new(), root.to_path_buf())];
    while let Some((path, file)) = todo.pop() {
        let src =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let toks = tokens(&src);
        let mut r = Reader { toks: &toks, i: 0 };
        let before: BTreeSet<ModPath> = modules.keys().cloned().collect();
        read_items(&mut r, &path, &file, &mut modules, &mut test_children);
        // Inline modules were read with the file; declared ones are files.
        let inline: BTreeSet<ModPath> = modules
            .keys()
            .filter(|k| !before.contains(*k) && **k != path)
            .cloned()
            .collect();
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "mod.rs" | "main.rs") => file.parent().map(Path::to_path_buf),
            _ => file.parent().zip(file.file_stem()).map(|(p, s)| p.join(s)),
        }
        .unwrap_or_default();
        // A module a macro declares (`checks!` in rules/checks/mod.rs) has
        // no `mod x;` to read: every file beside it in the module's folder
        // is taken as its child too, except the crate roots.
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let entry_path = entry.path();
                let name = match entry_path.file_stem().and_then(|n| n.to_str()) {
                    Some(n) => n.to_string(),
                    None => continue,
                };
                let is_module = if entry_path.is_dir() {
                    entry_path.join("mod.rs").exists()
                } else {
                    entry_path.extension().is_some_and(|e| e == "rs")
                        && !matches!(name.as_str(), "mod" | "lib" | "main")
                };
                let mut child_path = path.clone();
                child_path.push(name.clone());
                if is_module && !test_children.contains(&child_path) {
                    if let Some(m) = modules.get_mut(&path) {
                        m.children.insert(name);
                    }
                }
            }
        }
        let children: Vec<String> = modules[&path].children.iter().cloned().collect();
        for child in children {
            let mut child_path = path.clone();
            child_path.push(child.clone());
            if inline.contains(&child_path) || test_children.contains(&child_path) {
                continue;
            }
            let flat = dir.join(format!("{child}.rs"));
            let nested = dir.join(&child).join("mod.rs");
            let file = if flat.exists() { flat } else { nested };
            todo.push((child_path, file));
        }
    }
    for path in &test_children {
        modules.remove(path);
        if let Some(parent) = path.split_last().map(|(_, p)| p.to_vec()) {
            if let (Some(m), Some(last)) = (modules.get_mut(&parent), path.last()) {
                m.children.remove(last);
            }
        }
    }
    modules
}

/// The absolute start of a path written in module `from`, and the rest of
/// it; `None` for a path into another crate.
fn anchor<'p>(
    modules: &BTreeMap<ModPath, Module>,
    from: &ModPath,
    path: &'p [String],
) -> Option<(ModPath, &'p [String])> {
    let first = path.first()?;
    match first.as_str() {
        "crate" => Some((Vec::new(), &path[1..])),
        "self" => Some((from.clone(), &path[1..])),
        "super" => {
            let mut at = from.clone();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                at.pop();
                rest = &rest[1..];
            }
            Some((at, rest))
        }
        name if modules.get(from).is_some_and(|m| m.children.contains(name)) => {
            Some((from.clone(), path))
        }
        _ => None,
    }
}

/// The modules a path written in `from` depends on: the module it names and,
/// through re-exports, the module that defines what it names.
fn resolve(
    modules: &BTreeMap<ModPath, Module>,
    from: &ModPath,
    path: &[String],
    out: &mut BTreeSet<ModPath>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    let Some((mut at, rest)) = anchor(modules, from, path) else {
        return;
    };
    for (k, seg) in rest.iter().enumerate() {
        let Some(module) = modules.get(&at) else {
            break;
        };
        if module.children.contains(seg) {
            at.push(seg.clone());
            continue;
        }
        if let Some(target) = module.reexports.get(seg) {
            let mut target = target.clone();
            target.extend(rest[k + 1..].iter().cloned());
            resolve(modules, &at, &target, out, depth + 1);
        } else {
            for glob in &module.globs {
                let mut target = glob.clone();
                target.extend(rest[k..].iter().cloned());
                resolve(modules, &at, &target, out, depth + 1);
            }
        }
        break;
    }
    out.insert(at);
}

/// A module-level edge `from → to` lifted to siblings, with the file-level
/// edge that gave it.
type Edges = BTreeMap<(ModPath, ModPath), BTreeSet<(ModPath, ModPath)>>;

fn sibling_edges(modules: &BTreeMap<ModPath, Module>) -> Edges {
    let mut edges = Edges::new();
    for (from, module) in modules {
        for path in &module.uses {
            let mut targets = BTreeSet::new();
            resolve(modules, from, path, &mut targets, 0);
            for to in targets {
                let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
                if common == from.len() || common == to.len() {
                    continue;
                }
                let a = from[..=common].to_vec();
                let b = to[..=common].to_vec();
                edges
                    .entry((a, b))
                    .or_default()
                    .insert((from.clone(), to.clone()));
            }
        }
    }
    edges
}

fn show(path: &ModPath) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

/// The circles: strongly connected sets of more than one sibling (Tarjan).
fn circles(edges: &Edges) -> Vec<Vec<ModPath>> {
    let mut graph: BTreeMap<&ModPath, Vec<&ModPath>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        graph.entry(a).or_default().push(b);
        graph.entry(b).or_default();
    }
    struct State<'g> {
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        next: usize,
        found: Vec<Vec<ModPath>>,
    }
    fn visit<'g>(
        v: &'g ModPath,
        graph: &BTreeMap<&'g ModPath, Vec<&'g ModPath>>,
        s: &mut State<'g>,
    ) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(w, graph, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut set = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                set.push(w.clone());
                if w == v {
                    break;
                }
            }
            if set.len() > 1 {
                set.sort();
                s.found.push(set);
            }
        }
    }
    let mut s = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for &v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(v, &graph, &mut s);
        }
    }
    s.found
}

/// What is wrong with one crate's graph, one line each.
fn problems(name: &str, modules: &BTreeMap<ModPath, Module>, layers: &[&[&str]]) -> Vec<String> {
    let mut out = Vec::new();
    let mut edges = sibling_edges(modules);
    if name == "amtready" {
        for (from, to) in edges.values().flatten() {
            let helper = to.len() == 1 && layers[0].contains(&to[0].as_str());
            if in_vocabulary(from) && !in_vocabulary(to) && !helper {
                out.push(format!(
                    "{name}: {} is vocabulary (VOCABULARY in tests/it/layering.rs) but uses {}",
                    show(from),
                    show(to)
                ));
            }
        }
        for used in edges.values_mut() {
            used.retain(|(_, to)| !in_vocabulary(to));
        }
        edges.retain(|_, used| !used.is_empty());
    }
    let why = |a: &ModPath, b: &ModPath| -> String {
        edges
            .get(&(a.clone(), b.clone()))
            .and_then(|set| set.iter().next())
            .map(|(f, t)| {
                format!(
                    "{} ({}) uses {}",
                    show(f),
                    modules
                        .get(f)
                        .map(|m| m.file.display().to_string())
                        .unwrap_or_default(),
                    show(t)
                )
            })
            .unwrap_or_default()
    };
    for set in circles(&edges) {
        let names: Vec<String> = set.iter().map(show).collect();
        let mut line = format!("{name}: import circle among {}:", names.join(", "));
        for a in &set {
            for b in &set {
                if edges.contains_key(&(a.clone(), b.clone())) {
                    line.push_str(&format!("\n    {}", why(a, b)));
                }
            }
        }
        out.push(line);
    }
    let layer_of = |m: &str| layers.iter().position(|layer| layer.contains(&m));
    let top: Vec<String> = modules
        .keys()
        .filter(|k| k.len() == 1)
        .map(|k| k[0].clone())
        .collect();
    for m in &top {
        if layer_of(m).is_none() {
            out.push(format!(
                "{name}: module `{m}` is in no layer of tests/it/layering.rs: place it"
            ));
        }
    }
    for (a, b) in edges.keys().filter(|(a, _)| a.len() == 1) {
        if let (Some(la), Some(lb)) = (layer_of(&a[0]), layer_of(&b[0])) {
            if la < lb {
                out.push(format!(
                    "{name}: `{}` (layer {la}) imports the higher `{}` (layer {lb}): {}",
                    a[0],
                    b[0],
                    why(a, b)
                ));
            }
        }
    }
    out
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_import_circles_and_no_import_runs_up_the_layers() {
    let amtready = read_crate(&root().join("src/lib.rs"));
    // The checks are declared by the `checks!` macro; the reader must see them.
    let check = ["rules", "checks", "rras"].map(String::from).to_vec();
    assert!(
        amtready.contains_key(&check),
        "rules::checks::rras was not read"
    );
    let mut found = problems("amtready", &amtready, LAYERS);
    found.extend(problems(
        "mock-amt",
        &read_crate(&root().join("mock-amt/src/lib.rs")),
        MOCK_LAYERS,
    ));
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}

/// The reader itself: re-exports are followed, test code and comments are
/// not read, and a circle among siblings is found.
#[test]
fn the_reader_sees_what_the_compiler_sees() {
    let dir = std::env::temp_dir().join(format!("amtready-layering-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b")).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n");
    write(
        "a.rs",
        "// use crate::c::Gone;\nuse crate::b::Thing;\nconst S: &str = \"crate::c::X\";\n\
         #[cfg(test)]\nmod tests { use crate::c::Y; }\n",
    );
    write("b/mod.rs", "mod inner;\npub use inner::Thing;\n");
    write(
        "b/inner.rs",
        "pub struct Thing;\nfn f<'a>(x: &'a str) -> char { let _ = crate::a::f(); 'x' }\n",
    );
    write("c.rs", "pub struct X;\n");
    // Declared by a macro, not by `mod hidden;`: read all the same.
    write("b/hidden.rs", "use crate::c::X;\n");
    let modules = read_crate(&dir.join("lib.rs"));
    let edges = sibling_edges(&modules);
    let pairs: BTreeSet<(String, String)> = edges.keys().map(|(a, b)| (show(a), show(b))).collect();
    let want: BTreeSet<(String, String)> = [("a", "b"), ("b", "a"), ("b", "c")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(pairs, want);
    let found = circles(&edges);
    assert_eq!(found.len(), 1, "{found:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
