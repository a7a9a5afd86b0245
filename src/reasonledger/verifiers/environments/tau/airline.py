"""τ-bench's airline domain: users, flights and reservations, and the tools an agent books and changes
trips with. Behaviour follows sierra-research/tau-bench's airline tools (prices, the payment rules,
the fixed reservation and certificate ids), written here; seats are not decremented, as there."""

from __future__ import annotations

import copy
import json
from typing import Any

from reasonledger.verifiers.environments.base import ToolError
from reasonledger.verifiers.environments.tau.env import TauEnvironment

# τ-bench's airport list (code -> city), as list_all_airports returns it
AIRPORTS = {
    "SFO": "San Francisco", "JFK": "New York", "LAX": "Los Angeles", "ORD": "Chicago", "DFW": "Dallas",
    "DEN": "Denver", "SEA": "Seattle", "ATL": "Atlanta", "MIA": "Miami", "BOS": "Boston", "PHX": "Phoenix",
    "IAH": "Houston", "LAS": "Las Vegas", "MCO": "Orlando", "EWR": "Newark", "CLT": "Charlotte",
    "MSP": "Minneapolis", "DTW": "Detroit", "PHL": "Philadelphia", "LGA": "LaGuardia",
}
NEW_RESERVATION_IDS = ("HATHAT", "HATHAU", "HATHAV")  # τ-bench assumes at most three bookings a task
CERTIFICATE_IDS = (3221322, 3221323, 3221324)
BOOKED_AT = "2024-05-15T15:00:00"


class TauAirline(TauEnvironment):
    """τ-bench airline: book, change and cancel reservations against the pinned database."""

    id = "tau_airline"
    domain = "airline"
    tools = {name: name for name in (
        "book_reservation", "calculate", "cancel_reservation", "get_reservation_details", "get_user_details",
        "list_all_airports", "search_direct_flight", "search_onestop_flight", "send_certificate", "think",
        "transfer_to_human_agents", "update_reservation_baggages", "update_reservation_flights",
        "update_reservation_passengers")}
    read_only = frozenset({"calculate", "get_reservation_details", "get_user_details", "list_all_airports",
                           "search_direct_flight", "search_onestop_flight", "think", "transfer_to_human_agents"})

    # -- reads ---------------------------------------------------------------------------------------

    def get_reservation_details(self, reservation_id: str) -> str:
        """Get the details of a reservation by its id, such as '8JX2WO'."""
        reservations = self.db["reservations"]
        if reservation_id in reservations:
            return json.dumps(reservations[reservation_id])
        raise ToolError("user not found")  # sic: τ-bench's message for a missing reservation

    def list_all_airports(self) -> str:
        """List all airports (IATA code to city)."""
        return json.dumps(AIRPORTS)

    def search_direct_flight(self, origin: str, destination: str, date: str) -> str:
        """Search direct flights between two airports (IATA codes) on a date 'YYYY-MM-DD'."""
        results = []
        for flight in self.db["flights"].values():
            if flight["origin"] == origin and flight["destination"] == destination:
                if date in flight["dates"] and flight["dates"][date]["status"] == "available":
                    found = {k: v for k, v in flight.items() if k != "dates"}
                    found.update(flight["dates"][date])
                    results.append(found)
        return json.dumps(results)

    def search_onestop_flight(self, origin: str, destination: str, date: str) -> str:
        """Search one-stop flights between two airports (IATA codes) on a date 'YYYY-MM-DD'."""
        flights = self.db["flights"]
        results = []
        for first in flights.values():
            if first["origin"] != origin:
                continue
            for second in flights.values():
                if second["destination"] != destination or first["destination"] != second["origin"]:
                    continue
                # τ-bench's next-day date: May only, and the day not zero-padded
                date2 = f"2024-05-{int(date[-2:]) + 1}" if "+1" in first["scheduled_arrival_time_est"] else date
                if first["scheduled_arrival_time_est"] > second["scheduled_departure_time_est"]:
                    continue
                if date in first["dates"] and date2 in second["dates"]:
                    if first["dates"][date]["status"] == "available" and second["dates"][date2]["status"] == "available":
                        leg1 = {k: v for k, v in first.items() if k != "dates"}
                        leg1.update(first["dates"][date])
                        leg1["date"] = date
                        leg2 = {k: v for k, v in second.items() if k != "dates"}
                        leg2.update(second["dates"][date])  # sic: τ-bench reads the second leg's first date
                        leg2["date"] = date2
                        results.append([leg1, leg2])
        return json.dumps(results)

    # -- writes --------------------------------------------------------------------------------------

    def _priced_leg(self, flight: dict[str, Any], cabin: str, passengers: int) -> None:
        """Check one new leg is bookable for `passengers` and stamp its price, origin and destination."""
        number = flight["flight_number"]
        flights = self.db["flights"]
        if number not in flights:
            raise ToolError(f"flight {number} not found")
        row = flights[number]
        if flight["date"] not in row["dates"]:
            raise ToolError(f"flight {number} not found on date {flight['date']}")
        on_date = row["dates"][flight["date"]]
        if on_date["status"] != "available":
            raise ToolError(f"flight {number} not available on date {flight['date']}")
        if on_date["available_seats"][cabin] < passengers:
            raise ToolError(f"not enough seats on flight {number}")
        flight["price"] = on_date["prices"][cabin]
        flight["origin"] = row["origin"]
        flight["destination"] = row["destination"]

    def book_reservation(self, user_id: str, origin: str, destination: str, flight_type: str, cabin: str,
                         flights: list[dict[str, Any]], passengers: list[dict[str, Any]],
                         payment_methods: list[dict[str, Any]], total_baggages: int, nonfree_baggages: int,
                         insurance: str) -> str:
        """Book a reservation: flights [{flight_number, date}], passengers [{first_name, last_name, dob}], payment_methods [{payment_id, amount}], flight_type one_way|round_trip, cabin basic_economy|economy|business, insurance yes|no."""
        users, reservations = self.db["users"], self.db["reservations"]
        if user_id not in users:
            raise ToolError("user not found")
        reservation_id = next((r for r in NEW_RESERVATION_IDS[:-1] if r not in reservations), NEW_RESERVATION_IDS[-1])
        reservation = {
            "reservation_id": reservation_id, "user_id": user_id, "origin": origin, "destination": destination,
            "flight_type": flight_type, "cabin": cabin, "flights": copy.deepcopy(flights), "passengers": passengers,
            "payment_history": payment_methods, "created_at": BOOKED_AT, "total_baggages": total_baggages,
            "nonfree_baggages": nonfree_baggages, "insurance": insurance,
        }
        total_price = 0
        for flight in reservation["flights"]:
            self._priced_leg(flight, cabin, len(passengers))
            total_price += flight["price"] * len(passengers)
        if insurance == "yes":
            total_price += 30 * len(passengers)
        total_price += 50 * nonfree_baggages
        wallet = users[user_id]["payment_methods"]
        for payment in payment_methods:
            payment_id, amount = payment["payment_id"], payment["amount"]
            if payment_id not in wallet:
                raise ToolError(f"payment method {payment_id} not found")
            if wallet[payment_id]["source"] in ("gift_card", "certificate") and wallet[payment_id]["amount"] < amount:
                raise ToolError(f"not enough balance in payment method {payment_id}")
        paid = sum(payment["amount"] for payment in payment_methods)
        if paid != total_price:
            raise ToolError(f"payment amount does not add up, total price is {total_price}, but paid {paid}")
        user = users.writable(user_id)
        for payment in payment_methods:
            method = user["payment_methods"][payment["payment_id"]]
            if method["source"] == "gift_card":
                method["amount"] -= payment["amount"]
            elif method["source"] == "certificate":
                del user["payment_methods"][payment["payment_id"]]
        reservations[reservation_id] = reservation
        user["reservations"].append(reservation_id)
        return json.dumps(reservation)

    def cancel_reservation(self, reservation_id: str) -> str:
        """Cancel a whole reservation and refund its payments."""
        reservations = self.db["reservations"]
        if reservation_id not in reservations:
            raise ToolError("reservation not found")
        refunds = [{"payment_id": p["payment_id"], "amount": -p["amount"]}
                   for p in reservations[reservation_id]["payment_history"]]
        reservation = reservations.writable(reservation_id)
        reservation["payment_history"].extend(refunds)
        reservation["status"] = "cancelled"
        return json.dumps(reservation)

    def _update_payment(self, reservation: dict[str, Any], payment_id: str, price: Any) -> dict[str, Any] | None:
        """The user's payment method for a change costing `price`: never a certificate, a gift card only
        with the balance; returns the method to debit (a gift card, writable) or None."""
        users = self.db["users"]
        wallet = users[reservation["user_id"]]["payment_methods"]
        if payment_id not in wallet:
            raise ToolError("payment method not found")
        method = wallet[payment_id]
        if method["source"] == "certificate":
            raise ToolError("certificate cannot be used to update reservation")
        if method["source"] == "gift_card" and method["amount"] < price:
            raise ToolError("gift card balance is not enough")
        if method["source"] != "gift_card":
            return None
        return users.writable(reservation["user_id"])["payment_methods"][payment_id]

    def send_certificate(self, user_id: str, amount: int) -> str | None:
        """Send a certificate of the given amount to a user."""
        users = self.db["users"]
        if user_id not in users:
            raise ToolError("user not found")
        for number in CERTIFICATE_IDS:
            payment_id = f"certificate_{number}"
            if payment_id not in users[user_id]["payment_methods"]:
                users.writable(user_id)["payment_methods"][payment_id] = {
                    "source": "certificate", "amount": amount, "id": payment_id}
                return f"Certificate {payment_id} added to user {user_id} with amount {amount}."
        return None  # τ-bench returns nothing once the three certificate ids are taken

    def update_reservation_baggages(self, reservation_id: str, total_baggages: int, nonfree_baggages: int,
                                    payment_id: str) -> str:
        """Update a reservation's total and non-free baggage counts, paying with a payment id from the user's profile."""
        reservations = self.db["reservations"]
        if reservation_id not in reservations:
            raise ToolError("reservation not found")
        current = reservations[reservation_id]
        total_price = 50 * max(0, nonfree_baggages - current["nonfree_baggages"])
        gift_card = self._update_payment(current, payment_id, total_price)
        reservation = reservations.writable(reservation_id)
        reservation["total_baggages"] = total_baggages
        reservation["nonfree_baggages"] = nonfree_baggages
        if gift_card is not None:
            gift_card["amount"] -= total_price
        if total_price != 0:
            reservation["payment_history"].append({"payment_id": payment_id, "amount": total_price})
        return json.dumps(reservation)

    def update_reservation_flights(self, reservation_id: str, cabin: str, flights: list[dict[str, Any]],
                                   payment_id: str) -> str:
        """Change a reservation's flights and cabin: flights lists every leg of the new reservation [{flight_number, date}]; the difference is paid with a payment id (not a certificate)."""
        reservations = self.db["reservations"]
        if reservation_id not in reservations:
            raise ToolError("reservation not found")
        current = reservations[reservation_id]
        travellers = len(current["passengers"])
        total_price = 0
        flights = copy.deepcopy(flights)
        for flight in flights:
            # a leg already booked in the same cabin keeps its price
            kept = [f for f in current["flights"]
                    if f["flight_number"] == flight["flight_number"] and f["date"] == flight["date"]
                    and cabin == current["cabin"]]
            if kept:
                total_price += kept[0]["price"] * travellers
                flight["price"] = kept[0]["price"]
                flight["origin"] = kept[0]["origin"]
                flight["destination"] = kept[0]["destination"]
                continue
            self._priced_leg(flight, cabin, travellers)
            total_price += flight["price"] * travellers
        total_price -= sum(f["price"] for f in current["flights"]) * travellers
        gift_card = self._update_payment(current, payment_id, total_price)
        if gift_card is not None:
            gift_card["amount"] -= total_price
        reservation = reservations.writable(reservation_id)
        reservation["flights"] = flights
        if total_price != 0:
            reservation["payment_history"].append({"payment_id": payment_id, "amount": total_price})
        return json.dumps(reservation)

    def update_reservation_passengers(self, reservation_id: str, passengers: list[dict[str, Any]]) -> str:
        """Replace a reservation's passengers [{first_name, last_name, dob}] (the same number of them)."""
        reservations = self.db["reservations"]
        if reservation_id not in reservations:
            raise ToolError("reservation not found")
        if len(passengers) != len(reservations[reservation_id]["passengers"]):
            raise ToolError("number of passengers does not match")
        reservation = reservations.writable(reservation_id)
        reservation["passengers"] = passengers
        return json.dumps(reservation)
