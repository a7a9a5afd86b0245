"""BFCL's VehicleControlAPI: engine, doors, brakes, climate, cruise control, navigation and tyres. The
brake forces and slope angle are private in BFCL (not compared), so they are kept out of `state()`;
speed and outside temperature come from the scenario's seeded generator."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from reasonledger.verifiers.environments.bfcl.apis._api import Api, public

MAX_FUEL = 50
MILES_PER_GALLON = 20.0
_DEFAULT = {
    "fuelLevel": 0.0, "batteryVoltage": 12.6, "engineState": "stopped",
    "doorStatus": {"driver": "unlocked", "passenger": "unlocked", "rear_left": "unlocked", "rear_right": "unlocked"},
    "acTemperature": 25.0, "fanSpeed": 50, "acMode": "auto", "humidityLevel": 50.0, "headLightStatus": "off",
    "parkingBrakeStatus": "released", "parkingBrakeForce": 0.0, "slopeAngle": 0.0, "brakePedalStatus": "released",
    "brakePedalForce": 0.0, "distanceToNextVehicle": 50.0, "cruiseStatus": "inactive", "destination": "None",
    "frontLeftTirePressure": 32.0, "frontRightTirePressure": 32.0, "rearLeftTirePressure": 30.0,
    "rearRightTirePressure": 30.0,
}
_STATE = ("fuelLevel", "batteryVoltage", "engine_state", "remainingUnlockedDoors", "doorStatus", "acTemperature",
          "fanSpeed", "acMode", "humidityLevel", "headLightStatus", "parkingBrakeStatus", "brakePedalStatus",
          "distanceToNextVehicle", "cruiseStatus", "destination", "frontLeftTirePressure", "frontRightTirePressure",
          "rearLeftTirePressure", "rearRightTirePressure")
_DISTANCES = {
    frozenset(pair): distance for pair, distance in (
        (("83214", "74532"), 750.0), (("56108", "62947"), 320.0), (("71354", "83462"), 450.0),
        (("47329", "52013"), 290.0), (("69238", "51479"), 630.0), (("94016", "83214"), 980.0),
        (("94016", "94704"), 600.0), (("94704", "08540"), 2550.0), (("94016", "08540"), 1950.0),
        (("62947", "47329"), 1053.0), (("94016", "62947"), 780.0), (("74532", "94016"), 880.0))
}
_ZIPCODES = {"Rivermist": "83214", "Stonebrook": "74532", "Maplecrest": "56108", "Silverpine": "62947",
             "Shadowridge": "71354", "Sunset Valley": "83462", "Oakendale": "47329", "Willowbend": "52013",
             "Crescent Hollow": "69238", "Autumnville": "51479", "San Francisco": "94016"}


class VehicleControlAPI(Api):
    name: ClassVar[str] = "VehicleControlAPI"
    seed: ClassVar[int] = 141053
    tools: ClassVar[tuple[str, ...]] = (
        "startEngine", "fillFuelTank", "lockDoors", "adjustClimateControl", "get_outside_temperature_from_google",
        "get_outside_temperature_from_weather_com", "setHeadlights", "displayCarStatus", "activateParkingBrake",
        "pressBrakePedal", "releaseBrakePedal", "setCruiseControl", "get_current_speed", "display_log",
        "estimate_drive_feasibility_by_mileage", "liter_to_gallon", "gallon_to_liter", "estimate_distance",
        "get_zipcode_based_on_city", "set_navigation", "check_tire_pressure", "find_nearest_tire_shop")

    def load(self, config: Mapping[str, Any]) -> None:
        super().load(config)
        merged = {**copy.deepcopy(_DEFAULT), **copy.deepcopy(dict(config))}
        for name in _STATE:
            if name not in ("engine_state", "remainingUnlockedDoors"):
                setattr(self, name, merged[name])
        self.engine_state = merged["engineState"]
        self.remainingUnlockedDoors = 4 - sum(1 for status in self.doorStatus.values() if status == "locked")
        self._parking_force = merged["parkingBrakeForce"]
        self._slope = merged["slopeAngle"]
        self._pedal_force = merged["brakePedalForce"]

    def state(self) -> dict[str, Any]:
        return public(self, _STATE)

    def startEngine(self, ignitionMode: str) -> dict:
        if ignitionMode == "STOP":
            self.engine_state = "stopped"
        if self.remainingUnlockedDoors > 0:
            unlocked = [door for door, status in self.doorStatus.items() if status == "unlocked"]
            return {"error": "All doors must be locked before starting the engine. Here are the unlocked doors: "
                             + ", ".join(unlocked)}
        if self.brakePedalStatus != "pressed":
            return {"error": "Brake pedal needs to be pressed when starting the engine."}
        if self._pedal_force != 1000.0:
            return {"error": "Must press the brake fully before starting the engine."}
        if self.fuelLevel < 0.0:
            return {"error": "Fuel tank is empty."}
        if ignitionMode != "START":
            return {"error": "Invalid ignition mode."}
        self.engine_state = "running"
        return {"engineState": self.engine_state, "fuelLevel": self.fuelLevel, "batteryVoltage": self.batteryVoltage}

    def fillFuelTank(self, fuelAmount: float) -> dict:
        if fuelAmount < 0:
            return {"error": "Fuel amount cannot be negative."}
        if self.fuelLevel + fuelAmount > MAX_FUEL:
            return {"error": "Cannot fill gas above the tank capacity."}
        self.fuelLevel += fuelAmount
        return {"fuelLevel": self.fuelLevel}

    def lockDoors(self, unlock: bool, door: list) -> dict:
        wanted = "unlocked" if unlock else "locked"
        for name in door:
            if self.doorStatus[name] == wanted:
                continue
            self.doorStatus[name] = wanted
            self.remainingUnlockedDoors += 1 if unlock else -1
        return {"lockStatus": wanted, "remainingUnlockedDoors": self.remainingUnlockedDoors}

    def adjustClimateControl(self, temperature: float, unit: str = "celsius", fanSpeed: int = 50, mode: str = "auto") -> dict:
        if not 0 <= fanSpeed <= 100:
            return {"error": "Fan speed must be between 0 and 100."}
        self.acTemperature = (temperature - 32) * 5 / 9 if unit == "fahrenheit" else temperature
        self.fanSpeed = fanSpeed
        self.acMode = mode
        return {"currentACTemperature": temperature, "climateMode": mode, "humidityLevel": self.humidityLevel}

    def get_outside_temperature_from_google(self) -> dict:
        return {"outsideTemperature": self._random.uniform(-10.0, 40.0)}

    def get_outside_temperature_from_weather_com(self) -> dict:
        return {"error": 404}

    def setHeadlights(self, mode: str) -> dict:
        if mode not in ("on", "off", "auto"):
            return {"error": "Invalid headlight mode."}
        self.headLightStatus = "on" if mode == "on" else "off"
        return {"headlightStatus": self.headLightStatus}

    def displayCarStatus(self, option: str) -> dict:
        views = {
            "fuel": lambda: {"fuelLevel": self.fuelLevel},
            "battery": lambda: {"batteryVoltage": self.batteryVoltage},
            "doors": lambda: {"doorStatus": dict(self.doorStatus)},
            "climate": lambda: {"currentACTemperature": self.acTemperature, "fanSpeed": self.fanSpeed,
                                "climateMode": self.acMode, "humidityLevel": self.humidityLevel},
            "headlights": lambda: {"headlightStatus": self.headLightStatus},
            "parkingBrake": lambda: {"parkingBrakeStatus": self.parkingBrakeStatus,
                                     "parkingBrakeForce": self._parking_force, "slopeAngle": self._slope},
            "brakePedal": lambda: {"brakePedalStatus": self.brakePedalStatus, "brakePedalForce": self._pedal_force},
            "engine": lambda: {"engineState": self.engine_state},
        }
        view = views.get(option)
        return view() if view else {"error": "Invalid option"}

    def activateParkingBrake(self, mode: str) -> dict:
        if mode not in ("engage", "release"):
            return {"error": "Invalid mode"}
        self.parkingBrakeStatus = "engaged" if mode == "engage" else "released"
        self._parking_force = 500.0 if mode == "engage" else 0.0
        self._slope = 10.0
        return {"parkingBrakeStatus": self.parkingBrakeStatus, "_parkingBrakeForce": self._parking_force,
                "_slopeAngle": 10.0}

    def pressBrakePedal(self, pedalPosition: float) -> dict:
        if not 0 <= pedalPosition <= 1:
            return {"error": "Pedal position must be between 0 and 1."}
        if pedalPosition == 0:
            return self.releaseBrakePedal()
        self.brakePedalStatus = "pressed"
        self._pedal_force = pedalPosition * 1000
        return {"brakePedalStatus": "pressed", "brakePedalForce": float(self._pedal_force)}

    def releaseBrakePedal(self) -> dict:
        self.brakePedalStatus = "released"
        self._pedal_force = 0.0
        return {"brakePedalStatus": "released", "brakePedalForce": 0.0}

    def setCruiseControl(self, speed: float, activate: bool, distanceToNextVehicle: float) -> dict:
        if self.engine_state == "stopped":
            return {"error": "Start the engine before activating the cruise control."}
        self.distanceToNextVehicle = float(distanceToNextVehicle)
        if activate and (speed < 0 or speed > 120 or speed % 5 != 0):
            return {"error": "Invalid speed"}
        self.cruiseStatus = "active" if activate else "inactive"
        return {"cruiseStatus": self.cruiseStatus, "currentSpeed": float(speed),
                "distanceToNextVehicle": float(distanceToNextVehicle)}

    def get_current_speed(self) -> dict:
        return {"currentSpeed": self._random.uniform(0.0, 120.0)}

    def display_log(self, messages: list) -> dict:
        return {"log": messages}

    def estimate_drive_feasibility_by_mileage(self, distance: float) -> dict:
        return {"canDrive": not self.fuelLevel * MILES_PER_GALLON < distance}

    def liter_to_gallon(self, liter: float) -> dict:
        return {"gallon": liter * 0.264172}

    def gallon_to_liter(self, gallon: float) -> dict:
        return {"liter": gallon * 3.78541}

    def estimate_distance(self, cityA: str, cityB: str) -> dict:
        distance = _DISTANCES.get(frozenset((cityA, cityB))) if cityA != cityB else None
        return {"distance": distance} if distance is not None else {"error": "distance not found in database."}

    def get_zipcode_based_on_city(self, city: str) -> dict:
        return {"zipcode": _ZIPCODES.get(city, "00000")}

    def set_navigation(self, destination: str) -> dict:
        self.destination = destination
        return {"status": "Navigating to " + destination}

    def check_tire_pressure(self) -> dict:
        pressures = {name: getattr(self, name) for name in _STATE[-4:]}
        healthy = 30 <= sum(pressures.values()) / 4 <= 35
        return {**pressures, "healthy_tire_pressure": healthy, "car_info": {}}

    def find_nearest_tire_shop(self) -> dict:
        return {"shopLocation": "456 Oakwood Avenue, Rivermist, 83214"}
