"""BFCL's multi-turn API classes, written here as deterministic state machines (read from gorilla's
`bfcl_eval/eval_checker/multi_turn_eval/func_source_code/`; no code copied), by BFCL class name."""

from __future__ import annotations

from reasonledger.verifiers.environments.bfcl.apis._api import Api, jsonable
from reasonledger.verifiers.environments.bfcl.apis.filesystem import GorillaFileSystem
from reasonledger.verifiers.environments.bfcl.apis.math_api import MathAPI
from reasonledger.verifiers.environments.bfcl.apis.message import MessageAPI
from reasonledger.verifiers.environments.bfcl.apis.posting import TwitterAPI
from reasonledger.verifiers.environments.bfcl.apis.ticket import TicketAPI
from reasonledger.verifiers.environments.bfcl.apis.trading import TradingBot
from reasonledger.verifiers.environments.bfcl.apis.travel import TravelAPI
from reasonledger.verifiers.environments.bfcl.apis.vehicle import VehicleControlAPI

API_CLASSES: dict[str, type[Api]] = {cls.name: cls for cls in (
    GorillaFileSystem, MathAPI, MessageAPI, TwitterAPI, TicketAPI, TradingBot, TravelAPI, VehicleControlAPI)}

__all__ = ["API_CLASSES", "Api", "jsonable"]
