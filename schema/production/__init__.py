"""GraphQL of production: bills of materials and work orders."""
