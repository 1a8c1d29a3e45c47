"""The queue module (`www.genesyslab.com/modules/queue`): target strings, selection, waiting."""
