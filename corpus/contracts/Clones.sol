// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Deploys EIP-1167 minimal proxies with CREATE2 and initialises them in the same call.
contract CloneFactory {
    event Cloned(address indexed implementation, address indexed clone, bytes32 salt);

    function clone(address implementation, bytes32 salt, address owner) external returns (address instance) {
        assembly {
            let ptr := mload(0x40)
            mstore(ptr, 0x3d602d80600a3d3981f3363d3d373d3d3d363d73000000000000000000000000)
            mstore(add(ptr, 0x14), shl(0x60, implementation))
            mstore(add(ptr, 0x28), 0x5af43d82803e903d91602b57fd5bf30000000000000000000000000000000000)
            instance := create2(0, ptr, 0x37, salt)
        }
        require(instance != address(0), "create2 failed");
        Vault(payable(instance)).initialize(owner);
        emit Cloned(implementation, instance, salt);
    }

    function predict(address implementation, bytes32 salt) external view returns (address) {
        bytes memory code = abi.encodePacked(
            hex"3d602d80600a3d3981f3363d3d373d3d3d363d73", implementation, hex"5af43d82803e903d91602b57fd5bf3"
        );
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, keccak256(code))))));
    }
}

/// The implementation behind each clone: a tiny owned vault with a counter.
contract Vault {
    address public owner;
    uint256 public pings;

    event Pinged(address indexed by, uint256 count);

    function initialize(address owner_) external {
        require(owner == address(0), "initialized");
        owner = owner_;
    }

    receive() external payable {}

    function ping() external {
        pings += 1;
        emit Pinged(msg.sender, pings);
    }

    function sweep(address payable to) external {
        require(msg.sender == owner, "not owner");
        to.transfer(address(this).balance);
    }
}
