//! The plugin registry.

use std::sync::Arc;

use cutroom_plugin::{Manifest, ManifestError, Plugin};

/// Why a plugin could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Another plugin already has this id.
    #[error("a plugin with id {0:?} is already registered")]
    DuplicateId(String),
    /// The manifest is unusable (bad id, other API version, bad parameter specs).
    #[error(transparent)]
    InvalidManifest(#[from] ManifestError),
}

struct Entry {
    manifest: Manifest,
    plugin: Arc<dyn Plugin>,
}

/// The plugins available to the host, in registration order.
#[derive(Default)]
pub struct Registry {
    entries: Vec<Entry>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// A registry holding the built-in plugins ([`crate::builtin::plugins`]).
    pub fn with_builtins() -> Registry {
        let mut r = Registry::new();
        for p in crate::builtin::plugins() {
            r.register(p)
                .expect("built-in plugins have valid manifests and distinct ids");
        }
        r
    }

    /// Adds a plugin after validating its manifest; refuses a duplicate id.
    pub fn register(&mut self, plugin: Box<dyn Plugin>) -> Result<(), RegistryError> {
        let manifest = plugin.manifest();
        manifest.validate()?;
        if self.get(&manifest.id).is_some() {
            return Err(RegistryError::DuplicateId(manifest.id));
        }
        self.entries.push(Entry {
            manifest,
            plugin: Arc::from(plugin),
        });
        Ok(())
    }

    /// Manifests of all plugins, in registration order.
    pub fn manifests(&self) -> impl Iterator<Item = &Manifest> {
        self.entries.iter().map(|e| &e.manifest)
    }

    /// The manifest of the plugin `id`.
    pub fn manifest(&self, id: &str) -> Option<&Manifest> {
        self.entries
            .iter()
            .find(|e| e.manifest.id == id)
            .map(|e| &e.manifest)
    }

    /// The plugin `id`.
    pub fn get(&self, id: &str) -> Option<Arc<dyn Plugin>> {
        self.entries
            .iter()
            .find(|e| e.manifest.id == id)
            .map(|e| e.plugin.clone())
    }

    /// Number of plugins.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no plugin is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutroom_plugin::prelude::*;

    struct Named(&'static str);
    impl Plugin for Named {
        fn manifest(&self) -> Manifest {
            Manifest::new(self.0, self.0, "0.1.0", "test")
        }
        fn run(&self, _: &mut Context, _: &Params) -> Result<Proposal, PluginError> {
            Ok(Proposal::new(self.0))
        }
    }

    #[test]
    fn builtins_include_the_example_plugin() {
        let r = Registry::with_builtins();
        assert!(r.get("example-brightness").is_some());
        let ids: Vec<&str> = r.manifests().map(|m| m.id.as_str()).collect();
        assert_eq!(ids[..2], ["example-brightness", "color-match"]);
    }

    #[test]
    fn a_duplicate_id_is_refused() {
        let mut r = Registry::new();
        r.register(Box::new(Named("one"))).unwrap();
        r.register(Box::new(Named("two"))).unwrap();
        assert_eq!(
            r.register(Box::new(Named("one"))),
            Err(RegistryError::DuplicateId("one".into()))
        );
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn an_invalid_manifest_is_refused() {
        let mut r = Registry::new();
        let err = r.register(Box::new(Named("Not An Id"))).unwrap_err();
        assert!(matches!(err, RegistryError::InvalidManifest(_)));
        assert!(r.is_empty());
    }
}
