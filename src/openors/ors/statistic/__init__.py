"""The statistic module (`www.genesyslab.com/modules/statistic`): `_genesys.statistic.sData`, subscriptions."""
