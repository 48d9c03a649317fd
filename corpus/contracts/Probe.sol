// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Reads BLOCKHASH, BALANCE and SELFBALANCE and logs what it saw, so the values reach the receipts.
contract Probe {
    mapping(uint256 => bytes32) public seenHash;
    uint256 public observations;

    event Hash(uint256 indexed number, bytes32 hash);
    event Balance(address indexed who, uint256 balance);
    event SelfBalance(uint256 balance);

    receive() external payable {}

    /// Logs and stores the hashes of the blocks `back` blocks behind this one, for each entry.
    function hashes(uint256[] calldata back) external {
        for (uint256 i = 0; i < back.length; i++) {
            uint256 n = block.number - back[i];
            bytes32 h = blockhash(n);
            seenHash[n] = h;
            emit Hash(n, h);
        }
        observations += 1;
    }

    /// Logs the balance of every address given, and its own.
    function balances(address[] calldata who) external payable {
        for (uint256 i = 0; i < who.length; i++) {
            emit Balance(who[i], who[i].balance);
        }
        emit SelfBalance(address(this).balance);
        observations += 1;
    }

    /// Branches on the beneficiary's balance: reads it for real.
    function coinbaseRich(uint256 threshold) external returns (bool rich) {
        rich = block.coinbase.balance >= threshold;
        if (rich) observations += 1;
        emit Balance(block.coinbase, block.coinbase.balance);
    }

    /// Pays the beneficiary directly.
    function tip() external payable {
        payable(block.coinbase).transfer(msg.value);
    }
}
