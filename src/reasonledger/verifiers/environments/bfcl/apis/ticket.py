"""BFCL's TicketAPI: a queue of support tickets, a counter for their ids, and a logged-in user."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from reasonledger.verifiers.environments.bfcl.apis._api import Api, public

_STATE = ("ticket_queue", "ticket_counter", "current_user")


class TicketAPI(Api):
    name: ClassVar[str] = "TicketAPI"
    tools: ClassVar[tuple[str, ...]] = (
        "create_ticket", "get_ticket", "close_ticket", "resolve_ticket", "edit_ticket", "ticket_login",
        "ticket_get_login_status", "logout", "get_user_tickets")

    def load(self, config: Mapping[str, Any]) -> None:
        super().load(config)
        config = copy.deepcopy(dict(config))
        self.ticket_queue = config.get("ticket_queue", [])
        self.ticket_counter = config.get("ticket_counter", 1)
        self.current_user = config.get("current_user")

    def state(self) -> dict[str, Any]:
        return public(self, _STATE)

    def _find(self, ticket_id: int) -> dict | None:
        return next((ticket for ticket in self.ticket_queue if ticket["id"] == ticket_id), None)

    def create_ticket(self, title: str, description: str = "", priority: int = 1) -> dict:
        if not self.current_user:
            return {"error": "User not authenticated. Please log in to create a ticket."}
        if priority < 1 or priority > 5:
            return {"error": "Invalid priority. Priority must be between 1 and 5."}
        ticket = {"id": self.ticket_counter, "title": title, "description": description, "status": "Open",
                  "priority": priority, "created_by": self.current_user}
        self.ticket_queue.append(ticket)
        self.ticket_counter += 1
        return copy.deepcopy(ticket)

    def get_ticket(self, ticket_id: int) -> dict:
        ticket = self._find(ticket_id)
        return copy.deepcopy(ticket) if ticket else {"error": f"Ticket with ID {ticket_id} not found."}

    def close_ticket(self, ticket_id: int) -> dict:
        ticket = self._find(ticket_id)
        if not ticket:
            return {"error": f"Ticket with ID {ticket_id} not found."}
        if ticket["status"] == "Closed":
            return {"error": f"Ticket with ID {ticket_id} is already closed."}
        ticket["status"] = "Closed"
        return {"status": f"Ticket {ticket_id} has been closed successfully."}

    def resolve_ticket(self, ticket_id: int, resolution: str) -> dict:
        ticket = self._find(ticket_id)
        if not ticket:
            return {"error": f"Ticket with ID {ticket_id} not found."}
        if ticket["status"] == "Resolved":
            return {"error": f"Ticket with ID {ticket_id} is already resolved."}
        ticket["status"] = "Resolved"
        ticket["resolution"] = resolution
        return {"status": f"Ticket {ticket_id} has been resolved successfully."}

    def edit_ticket(self, ticket_id: int, updates: dict) -> dict:
        ticket = self._find(ticket_id)
        if not ticket:
            return {"error": f"Ticket with ID {ticket_id} not found."}
        invalid = sorted(set(updates) - {"title", "description", "status", "priority"})
        if invalid:
            return {"error": f"Invalid fields for update: {', '.join(invalid)}"}
        for key, value in updates.items():
            if value is not None:
                ticket[key] = value
        return {"status": f"Ticket {ticket_id} has been updated successfully."}

    def ticket_login(self, username: str, password: str) -> dict:
        if username and password:
            self.current_user = username
            return {"success": True}
        return {"success": False}

    def ticket_get_login_status(self) -> dict:
        return {"login_status": bool(self.current_user)}

    def logout(self) -> dict:
        if self.current_user:
            self.current_user = None
            return {"success": True}
        return {"success": False}

    def get_user_tickets(self, status: str | None = None) -> list:
        if not self.current_user:
            return [{"error": "User not authenticated. Please log in to view tickets."}]
        tickets = [ticket for ticket in self.ticket_queue if ticket["created_by"] == self.current_user]
        if status:
            tickets = [ticket for ticket in tickets if ticket["status"].lower() == status.lower()]
        return copy.deepcopy(tickets)
