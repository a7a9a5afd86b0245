"""BFCL's MessageAPI: users, a login, and an inbox of {receiver: message} entries; message ids come from
the scenario's seeded random generator (private, as in BFCL), so they replay identically."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from reasonledger.verifiers.environments.bfcl.apis._api import Api, public

_DEFAULT = {
    "generated_ids": [], "user_count": 4,
    "user_map": {"Alice": "USR001", "Bob": "USR002", "Catherine": "USR003", "Daniel": "USR004"},
    "inbox": [{"USR002": "My name is Alice. I want to connect."}, {"USR003": "Could you upload the file?"},
              {"USR004": "Could you upload the file?"}],
    "message_count": 3, "current_user": None,
}
_STATE = ("generated_ids", "user_count", "user_map", "inbox", "message_count", "current_user")


class MessageAPI(Api):
    name: ClassVar[str] = "MessageAPI"
    seed: ClassVar[int] = 200191
    tools: ClassVar[tuple[str, ...]] = (
        "list_users", "get_user_id", "message_login", "message_get_login_status", "send_message",
        "delete_message", "view_messages_sent", "add_contact", "search_messages", "get_message_stats")

    def load(self, config: Mapping[str, Any]) -> None:
        super().load(config)
        merged = {**copy.deepcopy(_DEFAULT), **copy.deepcopy(dict(config))}
        self.generated_ids = set(merged["generated_ids"])
        self.user_count = merged["user_count"]
        self.user_map = merged["user_map"]
        self.inbox = merged["inbox"]
        self.message_count = merged["message_count"]
        self.current_user = merged["current_user"]

    def state(self) -> dict[str, Any]:
        return public(self, _STATE)

    def _new_id(self) -> dict:
        new_id = self._random.randint(10000, 99999)
        while new_id in self.generated_ids:
            new_id = self._random.randint(10000, 99999)
        self.generated_ids.add(new_id)
        return {"new_id": new_id}

    def list_users(self) -> dict:
        return {"user_list": list(self.user_map)}

    def get_user_id(self, user: str) -> dict:
        if user not in self.user_map:
            return {"error": f"User '{user}' not found in the workspace."}
        return {"user_id": self.user_map[user]}

    def message_login(self, user_id: str) -> dict:
        if user_id not in self.user_map.values():
            return {"login_status": False, "message": f"User ID '{user_id}' not found."}
        self.current_user = user_id
        return {"login_status": True, "message": f"User '{user_id}' logged in successfully."}

    def message_get_login_status(self) -> dict:
        return {"login_status": bool(self.current_user)}

    def send_message(self, receiver_id: str, message: str) -> dict:
        if not self.current_user:
            return {"error": "No user is currently logged in."}
        if receiver_id not in self.user_map.values():
            return {"error": f"Receiver ID '{receiver_id}' not found."}
        message_id = self._new_id()
        self.inbox.append({receiver_id: message})
        self.message_count += 1
        return {"sent_status": True, "message_id": message_id, "message": f"Message sent to '{receiver_id}' successfully."}

    def delete_message(self, receiver_id: str) -> dict:
        if not self.current_user:
            return {"error": "No user is currently logged in."}
        for index in range(len(self.inbox) - 1, -1, -1):
            receiver = next(iter(self.inbox[index]))
            if receiver == receiver_id:
                del self.inbox[index]
                return {"deleted_status": True, "receiver_id": receiver,
                        "message": f"Receiver {receiver_id}'s latest message deleted successfully."}
        return {"error": f"Receiver ID {receiver_id} not found."}

    def view_messages_sent(self) -> dict:
        if not self.current_user:
            return {"error": "No user is currently logged in."}
        sent: dict[str, list[str]] = {}
        for message in self.inbox:
            ((receiver, content),) = list(message.items())[:1]
            sent.setdefault(receiver, []).append(content)
        return {"messages": sent}

    def add_contact(self, user_name: str) -> dict:
        if user_name in self.user_map:
            return {"error": f"User name '{user_name}' already exists."}
        self.user_count += 1
        user_id = f"USR{str(self.user_count).zfill(3)}"
        if user_id in self.user_map.values():
            return {"error": f"User ID '{user_id}' already exists."}
        self.user_map[user_name] = user_id
        return {"added_status": True, "user_id": user_id, "message": f"Contact '{user_name}' added successfully."}

    def search_messages(self, keyword: str) -> dict:
        if not self.current_user:
            return {"error": "No user is currently logged in."}
        found = []
        for message in self.inbox:
            ((receiver, content),) = list(message.items())[:1]
            if keyword.lower() in content.lower():
                found.append({"receiver_id": receiver, "message": content})
        return {"results": found}

    def get_message_stats(self) -> dict:
        if not self.current_user:
            return {"error": "No user is currently logged in."}
        receivers = {next(iter(message)) for message in self.inbox}
        return {"stats": {"received_count": len(self.inbox), "total_contacts": len(receivers)}}
