"""The local axis (`eoffice vxp-hub`): the VXP API for development, tests, demos and a province."""

from vxp_adapter.hub.app import HubApp, HubConfig, create_app
from vxp_adapter.hub.server import BackgroundHub, make_server

__all__ = ["BackgroundHub", "HubApp", "HubConfig", "create_app", "make_server"]
