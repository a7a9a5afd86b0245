"""BFCL's TravelAPI: a token login, credit cards, flight prices from a route table, bookings, insurance
and a budget limit. Ids come from the scenario's seeded generator; "today" (for a traveller's age) is
fixed at 2024-09-01, the trading API's clock, where BFCL reads the host's date, so a replay never drifts."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from reasonledger.verifiers.environments.base import ToolError
from reasonledger.verifiers.environments.bfcl.apis._api import Api, public

TODAY = date(2024, 9, 1)
# departure: arrival base price, ... (economy, USD)
_ROUTES_TEXT = """
SFO: LAX 200 JFK 500 ORD 400 BOS 450 RMS 300 SBK 350 MPC 370 SVP 320 SHD 330 SSV 340 OKD 360 WLB 310 CRH 380 ATV 390 PHV 420 GFD 430 CIA 700
LAX: SFO 100 JFK 600 ORD 500 BOS 550 RMS 310 SBK 320 MPC 330 SVP 340 SHD 350 SSV 360 OKD 370 WLB 380 CRH 390 ATV 400 PHV 410 GFD 420 HND 430
JFK: ORD 300 BOS 250 RMS 450 SBK 460 MPC 470 SVP 480 SHD 490 SSV 500 OKD 510 WLB 520 CRH 530 ATV 540 PHV 550 GFD 560 LAX 570 HND 800 PVG 950 PEK 1000
ORD: LAX 180 BOS 200 RMS 350 SBK 360 MPC 370 SVP 380 SHD 390 SSV 400 OKD 410 WLB 420 CRH 430 ATV 440 PHV 450 GFD 460
BOS: RMS 400 SBK 410 MPC 420 SVP 430 SHD 440 SSV 450 OKD 460 WLB 470 CRH 480 ATV 490 PHV 500 GFD 510
RMS: BOS 200 JFK 210 SBK 220 MPC 230 SVP 240 SHD 250 SSV 260 OKD 270 WLB 280 CRH 290 ATV 300 PHV 310 GFD 320 LAX 330
SBK: MPC 200 SVP 210 SHD 220 SSV 230 OKD 240 WLB 250 CRH 260 ATV 270 PHV 280 GFD 290
MPC: SVP 210 SHD 220 SSV 230 OKD 240 WLB 250 CRH 260 ATV 270 PHV 280 GFD 290
SVP: SHD 230 SSV 240 OKD 250 WLB 260 CRH 270 ATV 280 PHV 290 GFD 300
SHD: SSV 220 OKD 230 WLB 240 CRH 250 ATV 260 PHV 270 GFD 280
SSV: OKD 240 WLB 250 CRH 260 ATV 270 PHV 280 GFD 290
OKD: WLB 230 CRH 240 ATV 250 PHV 260 GFD 270 LAX 220
WLB: CRH 250 ATV 260 PHV 270 GFD 280
CRH: ATV 240 PHV 250 GFD 260 SFO 270 RMS 280 HKG 290 JFK 300
ATV: PHV 230 GFD 240
PHV: GFD 220
LHR: CDG 100
"""


def _routes(text: str) -> dict[tuple[str, str], int]:
    routes = {}
    for line in text.strip().splitlines():
        origin, rest = line.split(":")
        words = rest.split()
        for destination, price in zip(words[::2], words[1::2]):
            routes[origin, destination] = int(price)
    return routes


ROUTES = _routes(_ROUTES_TEXT)
AIRPORTS = ["RMS", "SBK", "MPC", "SVP", "SHD", "CDG", "LHR", "SSV", "OKD", "WLB", "PEK", "HND", "HKG", "CIA", "CRH",
            "ATV", "PHV", "GFD", "SFO", "LAX", "JFK", "ORD", "BOS"]
_CITY_AIRPORTS = {
    "Rivermist": "RMS", "Stonebrook": "SBK", "Maplecrest": "MPC", "Silverpine": "SVP", "Shadowridge": "SHD",
    "London": "LHR", "Paris": "CDG", "Sunset Valley": "SSV", "Oakendale": "OKD", "Willowbend": "WLB",
    "Crescent Hollow": "CRH", "Autumnville": "ATV", "Pinehaven": "PHV", "Greenfield": "GFD", "San Francisco": "SFO",
    "Los Angeles": "LAX", "New York": "JFK", "Chicago": "ORD", "Boston": "BOS", "Beijing": "PEK", "Hong Kong": "HKG",
    "Rome": "CIA", "Tokyo": "HND",
}
_USD_RATES = {"RMB": 7, "EUR": 0.8, "JPY": 110, "GBP": 0.7, "CAD": 1.3, "AUD": 1.4, "INR": 70, "RUB": 60, "BRL": 3.8, "MXN": 20}
_CLASS_FACTOR = {"economy": 1, "business": 2, "first": 5}
_STATE = ("credit_card_list", "booking_record", "access_token", "token_type", "token_expires_in", "token_scope",
          "user_first_name", "user_last_name", "budget_limit")


class TravelAPI(Api):
    name: ClassVar[str] = "TravelAPI"
    seed: ClassVar[int] = 141053
    tools: ClassVar[tuple[str, ...]] = (
        "authenticate_travel", "travel_get_login_status", "get_budget_fiscal_year", "register_credit_card",
        "get_flight_cost", "get_credit_card_balance", "book_flight", "retrieve_invoice", "get_booking_history",
        "list_all_airports", "cancel_booking", "compute_exchange_rate", "verify_traveler_information",
        "set_budget_limit", "get_nearest_airport_by_city", "purchase_insurance", "contact_customer_support",
        "get_all_credit_cards")

    def load(self, config: Mapping[str, Any]) -> None:
        super().load(config)
        config = copy.deepcopy(dict(config))
        self.credit_card_list = config.get("credit_card_list", {})
        self.booking_record = config.get("booking_record", {})
        for name in _STATE[2:]:
            setattr(self, name, config.get(name))

    def state(self) -> dict[str, Any]:
        return public(self, _STATE)

    def _auth_error(self, access_token: str) -> str | None:
        """Why a call with this token is refused (expired, or not the issued one), in BFCL's words."""
        if self.token_expires_in == 0:
            return "Token expired"
        if access_token != self.access_token:
            return "Invalid access token"
        return None

    def authenticate_travel(self, client_id: str, client_secret: str, refresh_token: str, grant_type: str,
                            user_first_name: str, user_last_name: str) -> dict:
        self.token_expires_in = 2
        self.access_token = str(self._random.randint(100000, 999999))
        self.token_type = "Bearer"
        self.token_scope = grant_type
        self.user_first_name = user_first_name
        self.user_last_name = user_last_name
        return {"expires_in": 2, "access_token": self.access_token, "token_type": "Bearer", "scope": grant_type}

    def travel_get_login_status(self) -> dict:
        return {"status": not (self.token_expires_in is None or self.token_expires_in == 0)}

    def get_budget_fiscal_year(self, lastModifiedAfter: str | None = None, includeRemoved: str | None = None) -> dict:
        return {"budget_fiscal_year": "2018"}

    def register_credit_card(self, access_token: str, card_number: str, expiration_date: str, cardholder_name: str,
                             card_verification_number: int) -> dict:
        if self.token_expires_in is None:
            return {"error": "Token not initialized"}
        if error := self._auth_error(access_token):
            return {"error": error}
        if card_number in self.credit_card_list:
            return {"error": "Card already registered"}
        card_id = str(self._random.randint(100000000000, 999999999999))
        self.credit_card_list[card_id] = {
            "card_number": card_number, "expiration_date": expiration_date, "cardholder_name": cardholder_name,
            "card_verification_number": card_verification_number, "balance": self._random.randint(10000, 99999)}
        return {"card_id": card_id}

    @staticmethod
    def _cost(travel_from: str, travel_to: str, travel_date: str, travel_class: str) -> float:
        if (travel_from, travel_to) not in ROUTES:
            raise ToolError("No available route for the given airports.")
        if travel_class not in _CLASS_FACTOR:
            raise ToolError("Invalid travel class. Options are: economy, business, first.")
        digit_sum = sum(int(character) for character in travel_date if character.isdigit())
        return float(ROUTES[travel_from, travel_to] * _CLASS_FACTOR[travel_class] * (2 if digit_sum % 2 == 0 else 1))

    def get_flight_cost(self, travel_from: str, travel_to: str, travel_date: str, travel_class: str) -> dict:
        return {"travel_cost_list": [self._cost(travel_from, travel_to, travel_date, travel_class)]}

    def get_credit_card_balance(self, access_token: str, card_id: str) -> dict:
        if error := self._auth_error(access_token):
            return {"error": error}
        if card_id not in self.credit_card_list:
            return {"error": f"Card not registered. Here are a list of card_id's: {list(self.credit_card_list)}"}
        return {"card_balance": self.credit_card_list[card_id]["balance"]}

    def book_flight(self, access_token: str, card_id: str, travel_date: str, travel_from: str, travel_to: str,
                    travel_class: str) -> dict:
        def refuse(reason: str) -> dict:
            return {"booking_status": False, "error": reason}

        if error := self._auth_error(access_token):
            return refuse(error)
        if card_id not in self.credit_card_list:
            return refuse("Card not registered")
        card = self.credit_card_list[card_id]
        if "balance" not in card:
            return refuse("Balance not found")
        if travel_from not in AIRPORTS:
            return refuse(f"Invalid departure airport code: {travel_from}")
        if travel_to not in AIRPORTS:
            return refuse(f"Invalid destination airport code: {travel_to}")
        try:
            datetime.strptime(travel_date, "%Y-%m-%d")
        except ValueError:
            return refuse("Invalid date format. Use YYYY-MM-DD.")
        if travel_class not in _CLASS_FACTOR:
            return refuse("Invalid travel class. Must be one of economy, business, first")
        try:
            cost = self._cost(travel_from, travel_to, travel_date, travel_class)
        except ToolError as exc:
            return refuse(str(exc))
        if card["balance"] < cost:
            return refuse("Insufficient funds")
        if self.budget_limit is not None and card["balance"] < self.budget_limit:
            return refuse("Balance is less than budget limit")
        card["balance"] -= cost
        booking_id = str(self._random.randint(1000000, 9999999))
        transaction_id = str(self._random.randint(10000000, 99999999))
        self.booking_record[booking_id] = {
            "card_id": card_id, "travel_date": travel_date, "travel_from": travel_from, "travel_to": travel_to,
            "travel_class": travel_class, "travel_cost": cost, "transaction_id": transaction_id}
        return {"booking_id": booking_id, "transaction_id": transaction_id, "booking_status": True, "booking_history": {}}

    def retrieve_invoice(self, access_token: str, booking_id: str | None = None, insurance_id: str | None = None) -> dict:
        if error := self._auth_error(access_token):
            return {"error": error}
        if booking_id not in self.booking_record:
            return {"error": "Booking not found"}
        booking = self.booking_record[booking_id]
        fields = ("travel_date", "travel_from", "travel_to", "travel_class", "travel_cost", "transaction_id")
        return {"invoice": {"booking_id": booking_id, **{name: booking[name] for name in fields}}}

    def get_booking_history(self, access_token: str) -> dict:
        if error := self._auth_error(access_token):
            return {"error": error}
        return {"booking_history": copy.deepcopy(self.booking_record)}

    def list_all_airports(self) -> list:
        return list(AIRPORTS)

    def cancel_booking(self, access_token: str, booking_id: str) -> dict:
        if error := self._auth_error(access_token):
            return {"cancel_status": False, "error": error}
        if booking_id not in self.booking_record:
            return {"cancel_status": False, "error": "Booking not found"}
        booking = self.booking_record.pop(booking_id)
        self.credit_card_list[booking["card_id"]]["balance"] += booking["travel_cost"]
        return {"cancel_status": True}

    def compute_exchange_rate(self, base_currency: str, target_currency: str, value: float) -> dict:
        if base_currency == "USD" and target_currency in _USD_RATES:
            return {"exchanged_value": float(value * _USD_RATES[target_currency])}
        if target_currency == "USD" and base_currency in _USD_RATES:
            return {"exchanged_value": round(value / _USD_RATES[base_currency], 2)}
        raise ToolError("No available exchange rate for the given currencies.")

    def verify_traveler_information(self, first_name: str, last_name: str, date_of_birth: str, passport_number: str) -> dict:
        if self.user_first_name != first_name or self.user_last_name != last_name:
            return {"verification_status": False,
                    "verification_failure": "Cannot book flight information for another user."
                    f"Expected {self.user_first_name} {self.user_last_name}, got {first_name} {last_name}"}
        try:
            born = datetime.strptime(date_of_birth, "%Y-%m-%d").date()
        except ValueError:
            return {"verification_status": False,
                    "verification_failure": "Invalid date of birth format. Please use YYYY-MM-DD."}
        age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
        if age < 18:
            return {"verification_status": False, "verification_failure": "Traveler must be at least 18 years old."}
        if not passport_number.startswith("US"):
            return {"verification_status": False, "verification_failure": "Passport must be issued by the United States."}
        return {"verification_status": True}

    def set_budget_limit(self, access_token: str, budget_limit: float) -> dict:
        if error := self._auth_error(access_token):
            return {"error": error}
        self.budget_limit = float(budget_limit)
        return {"budget_limit": self.budget_limit}

    def get_nearest_airport_by_city(self, location: str) -> dict:
        return {"nearest_airport": _CITY_AIRPORTS.get(location, "Unknown")}

    def purchase_insurance(self, access_token: str, insurance_type: str, booking_id: str, insurance_cost: float,
                           card_id: str) -> dict:
        def refuse(reason: str) -> dict:
            return {"insurance_status": False, "error": reason}

        if error := self._auth_error(access_token):
            return refuse(error)
        if self.budget_limit is not None and self.budget_limit < insurance_cost:
            return refuse("Exceeded budget limit")
        if booking_id not in self.booking_record:
            return refuse("Booking not found")
        if card_id not in self.credit_card_list:
            return refuse("Credit card not registered")
        self.credit_card_list[card_id]["balance"] -= insurance_cost
        return {"insurance_id": str(self._random.randint(100000000, 999999999)), "insurance_status": True}

    def contact_customer_support(self, booking_id: str, message: str) -> dict:
        if booking_id not in self.booking_record:
            return {"error": "Booking not found"}
        return {"customer_support_message": "Thank you for contacting customer support. Your message has been "
                                            "received and we will get back to you shortly."}

    def get_all_credit_cards(self) -> dict:
        return {"credit_card_list": copy.deepcopy(self.credit_card_list)}
