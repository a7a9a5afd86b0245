"""τ-bench's retail domain: users, products and orders, and the tools an agent cancels, changes,
returns and exchanges orders with. Behaviour follows sierra-research/tau-bench's retail tools at
59a200c, written here, and holds at 7362a17 too: the two tools commit 404f33e changed between them,
modify_pending_order_address and modify_user_address, changed only the description of their `state`
parameter ("The province, such as 'CA'." became "The state, ..."); both always took `state` and wrote it
as `state`. What differs at 7362a17 is data: the users' addresses keyed `province` (404f33e rewrote them
to `state`) and one gold call passing `province=`, which the tool refuses, as τ-bench's did.
(Read in the tau-bench tree whose tasks_test.py is 7362a17's, 043b544, against later trees.)"""

from __future__ import annotations

import json
from typing import Any

from reasonledger.verifiers.environments.base import ToolError
from reasonledger.verifiers.environments.tau.env import TauEnvironment

CANCEL_REASONS = ("no longer needed", "ordered by mistake")


def _address(address1: str, address2: str, city: str, state: str, country: str, zip_code: str) -> dict[str, str]:
    return {"address1": address1, "address2": address2, "city": city, "state": state, "country": country,
            "zip": zip_code}


class TauRetail(TauEnvironment):
    """τ-bench retail: find users, read orders and products, and change pending or delivered orders."""

    id = "tau_retail"
    domain = "retail"
    tools = {name: name for name in (
        "calculate", "cancel_pending_order", "exchange_delivered_order_items", "find_user_id_by_email",
        "find_user_id_by_name_zip", "get_order_details", "get_product_details", "get_user_details",
        "list_all_product_types", "modify_pending_order_address", "modify_pending_order_items",
        "modify_pending_order_payment", "modify_user_address", "return_delivered_order_items", "think",
        "transfer_to_human_agents")}
    read_only = frozenset({"calculate", "find_user_id_by_email", "find_user_id_by_name_zip", "get_order_details",
                           "get_product_details", "get_user_details", "list_all_product_types", "think",
                           "transfer_to_human_agents"})

    # -- reads ---------------------------------------------------------------------------------------

    def find_user_id_by_email(self, email: str) -> str:
        """Find a user id by email."""
        for user_id, profile in self.db["users"].items():
            if profile["email"].lower() == email.lower():
                return user_id
        raise ToolError("user not found")

    def find_user_id_by_name_zip(self, first_name: str, last_name: str, zip: str) -> str:
        """Find a user id by first name, last name and zip code."""
        for user_id, profile in self.db["users"].items():
            if (profile["name"]["first_name"].lower() == first_name.lower()
                    and profile["name"]["last_name"].lower() == last_name.lower()
                    and profile["address"]["zip"] == zip):
                return user_id
        raise ToolError("user not found")

    def get_order_details(self, order_id: str) -> str:
        """Get the status and details of an order, such as '#W0000000'."""
        orders = self.db["orders"]
        if order_id in orders:
            return json.dumps(orders[order_id])
        raise ToolError("order not found")

    def get_product_details(self, product_id: str) -> str:
        """Get a product's details and its variants (items) by product id."""
        products = self.db["products"]
        if product_id in products:
            return json.dumps(products[product_id])
        raise ToolError("product not found")

    def list_all_product_types(self) -> str:
        """List every product type's name and product id."""
        names = {product["name"]: product["product_id"] for product in self.db["products"].values()}
        return json.dumps(dict(sorted(names.items())))

    # -- writes --------------------------------------------------------------------------------------

    def _order(self, order_id: str, status: str, refused: str) -> dict[str, Any]:
        orders = self.db["orders"]
        if order_id not in orders:
            raise ToolError("order not found")
        if orders[order_id]["status"] != status:
            raise ToolError(refused)
        return orders[order_id]

    def _swap_price(self, order: dict[str, Any], item_ids: list[str], new_item_ids: list[str]) -> Any:
        """Check each item is in the order (duplicates counted) and its replacement is an available
        variant of the same product; the price difference of the swap."""
        in_order = [item["item_id"] for item in order["items"]]
        for item_id in item_ids:
            if item_ids.count(item_id) > in_order.count(item_id):
                raise ToolError(f"{item_id} not found")
        if len(item_ids) != len(new_item_ids):
            raise ToolError("the number of items to be exchanged should match")
        products = self.db["products"]
        diff = 0
        for item_id, new_item_id in zip(item_ids, new_item_ids):
            item = [item for item in order["items"] if item["item_id"] == item_id][0]
            variants = products[item["product_id"]]["variants"]
            if not (new_item_id in variants and variants[new_item_id]["available"]):
                raise ToolError(f"new item {new_item_id} not found or available")
            diff += variants[new_item_id]["price"] - item["price"]
        return diff

    def _wallet(self, order: dict[str, Any]) -> dict[str, Any]:
        return self.db["users"][order["user_id"]]["payment_methods"]

    def _credit_gift_card(self, user_id: str, payment_id: str, amount: Any) -> None:
        card = self.db["users"].writable(user_id)["payment_methods"][payment_id]
        card["balance"] += amount
        card["balance"] = round(card["balance"], 2)

    def cancel_pending_order(self, order_id: str, reason: str) -> str:
        """Cancel a pending order; reason is 'no longer needed' or 'ordered by mistake'."""
        order = self._order(order_id, "pending", "non-pending order cannot be cancelled")
        if reason not in CANCEL_REASONS:
            raise ToolError("invalid reason")
        refunds = []
        for payment in order["payment_history"]:
            payment_id = payment["payment_method_id"]
            refunds.append({"transaction_type": "refund", "amount": payment["amount"], "payment_method_id": payment_id})
            if "gift_card" in payment_id:  # refunded to the gift card at once
                self._credit_gift_card(order["user_id"], payment_id, payment["amount"])
        order = self.db["orders"].writable(order_id)
        order["status"] = "cancelled"
        order["cancel_reason"] = reason
        order["payment_history"].extend(refunds)
        return json.dumps(order)

    def exchange_delivered_order_items(self, order_id: str, item_ids: list[str], new_item_ids: list[str],
                                       payment_method_id: str) -> str:
        """Exchange items of a delivered order for other items of the same products, the price difference paid or refunded with a payment method id."""
        order = self._order(order_id, "delivered", "non-delivered order cannot be exchanged")
        diff = round(self._swap_price(order, item_ids, new_item_ids), 2)
        wallet = self._wallet(order)
        if payment_method_id not in wallet:
            raise ToolError("payment method not found")
        if wallet[payment_method_id]["source"] == "gift_card" and wallet[payment_method_id]["balance"] < diff:
            raise ToolError("insufficient gift card balance to pay for the price difference")
        order = self.db["orders"].writable(order_id)
        order["status"] = "exchange requested"
        order["exchange_items"] = sorted(item_ids)
        order["exchange_new_items"] = sorted(new_item_ids)
        order["exchange_payment_method_id"] = payment_method_id
        order["exchange_price_difference"] = diff
        return json.dumps(order)

    def modify_pending_order_address(self, order_id: str, address1: str, address2: str, city: str, state: str,
                                     country: str, zip: str) -> str:
        """Change the shipping address of a pending order."""
        self._order(order_id, "pending", "non-pending order cannot be modified")
        order = self.db["orders"].writable(order_id)
        order["address"] = _address(address1, address2, city, state, country, zip)
        return json.dumps(order)

    def modify_pending_order_items(self, order_id: str, item_ids: list[str], new_item_ids: list[str],
                                   payment_method_id: str) -> str:
        """Change items of a pending order to other items of the same products, the price difference paid or refunded with a payment method id."""
        order = self._order(order_id, "pending", "non-pending order cannot be modified")
        diff = self._swap_price(order, item_ids, new_item_ids)
        wallet = self._wallet(order)
        if payment_method_id not in wallet:
            raise ToolError("payment method not found")
        gift_card = wallet[payment_method_id]["source"] == "gift_card"
        if gift_card and wallet[payment_method_id]["balance"] < diff:
            raise ToolError("insufficient gift card balance to pay for the new item")
        user_id = order["user_id"]
        order = self.db["orders"].writable(order_id)
        order["payment_history"].append({"transaction_type": "payment" if diff > 0 else "refund",
                                         "amount": abs(diff), "payment_method_id": payment_method_id})
        if gift_card:
            self._credit_gift_card(user_id, payment_method_id, -diff)
        products = self.db["products"]
        for item_id, new_item_id in zip(item_ids, new_item_ids):
            item = [item for item in order["items"] if item["item_id"] == item_id][0]
            variant = products[item["product_id"]]["variants"][new_item_id]
            item["item_id"] = new_item_id
            item["price"] = variant["price"]
            item["options"] = variant["options"]
        order["status"] = "pending (item modified)"
        return json.dumps(order)

    def modify_pending_order_payment(self, order_id: str, payment_method_id: str) -> str:
        """Change the payment method of a pending order."""
        order = self._order(order_id, "pending", "non-pending order cannot be modified")
        wallet = self._wallet(order)
        if payment_method_id not in wallet:
            raise ToolError("payment method not found")
        history = order["payment_history"]
        if len(history) > 1 or history[0]["transaction_type"] != "payment":
            raise ToolError("there should be exactly one payment for a pending order")
        old_method = history[0]["payment_method_id"]
        if old_method == payment_method_id:
            raise ToolError("the new payment method should be different from the current one")
        amount = history[0]["amount"]
        if wallet[payment_method_id]["source"] == "gift_card" and wallet[payment_method_id]["balance"] < amount:
            raise ToolError("insufficient gift card balance to pay for the order")
        gift_card = wallet[payment_method_id]["source"] == "gift_card"
        user_id = order["user_id"]
        order = self.db["orders"].writable(order_id)
        order["payment_history"].extend([
            {"transaction_type": "payment", "amount": amount, "payment_method_id": payment_method_id},
            {"transaction_type": "refund", "amount": amount, "payment_method_id": old_method},
        ])
        if gift_card:
            self._credit_gift_card(user_id, payment_method_id, -amount)
        if "gift_card" in old_method:
            self._credit_gift_card(user_id, old_method, amount)
        return json.dumps(order)

    def modify_user_address(self, user_id: str, address1: str, address2: str, city: str, state: str, country: str,
                            zip: str) -> str:
        """Change a user's default address."""
        users = self.db["users"]
        if user_id not in users:
            raise ToolError("user not found")
        user = users.writable(user_id)
        user["address"] = _address(address1, address2, city, state, country, zip)
        return json.dumps(user)

    def return_delivered_order_items(self, order_id: str, item_ids: list[str], payment_method_id: str) -> str:
        """Return items of a delivered order, refunded to the original payment method or a gift card."""
        order = self._order(order_id, "delivered", "non-delivered order cannot be returned")
        if payment_method_id not in self._wallet(order):
            raise ToolError("payment method not found")
        if "gift_card" not in payment_method_id and payment_method_id != order["payment_history"][0]["payment_method_id"]:
            raise ToolError("payment method should be either the original payment method or a gift card")
        in_order = [item["item_id"] for item in order["items"]]
        for item_id in item_ids:
            if item_ids.count(item_id) > in_order.count(item_id):
                raise ToolError("some item not found")
        order = self.db["orders"].writable(order_id)
        order["status"] = "return requested"
        order["return_items"] = sorted(item_ids)
        order["return_payment_method_id"] = payment_method_id
        return json.dumps(order)
