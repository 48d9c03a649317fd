// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Holds ETH until told to self-destruct; since Cancun (EIP-6780) that only moves the balance,
/// unless the contract was created in the same transaction.
contract Bomb {
    address public immutable owner;
    uint256 public armed;

    constructor() payable {
        owner = msg.sender;
        armed = 1;
    }

    receive() external payable {}

    function detonate(address payable heir) external {
        require(armed == 1, "disarmed");
        selfdestruct(heir);
    }
}

/// Creates a Bomb and detonates it in the same transaction: the account is really deleted.
contract BombFactory {
    event Built(address bomb);

    function buildAndDetonate(address payable heir) external payable returns (address bomb) {
        Bomb b = new Bomb{value: msg.value}();
        b.detonate(heir);
        bomb = address(b);
        emit Built(bomb);
    }

    /// Creates a Bomb with CREATE2 that outlives the transaction.
    function build(bytes32 salt) external payable returns (address) {
        Bomb b = new Bomb{salt: salt, value: msg.value}();
        emit Built(address(b));
        return address(b);
    }
}
