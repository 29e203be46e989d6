"""Example inventories and the inventory JSON Schema, shipped with the package."""
