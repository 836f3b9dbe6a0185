"""Carrier APIs over HTTP: adapters of ``openoms.fulfillment.carrier_api.CarrierApi``."""
